/** The provider's model catalogue lives with the providers (task creation validates against it). */
export { clearModelCache, DEFAULT_MODELS, listModels } from '../tasks/providers/models'
