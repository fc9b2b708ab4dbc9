/**
 * The one writer of an account's role and disabled state (`users.role`, `disabled_at`,
 * `disabled_reason`), for an admin's batch. Compare-and-set on the state the caller read
 * (`expected`), and, when the change removes an active admin, only while another active admin
 * remains — checked inside the UPDATE, so two parallel demotions can never leave no admin — and
 * only while the acting admin is still an active admin (one demoted a moment ago cannot finish).
 * `changes` of its result is 0 when a guard failed.
 */
export function accountStateStatement(
  env: Env,
  change: {
    userId: string
    role: string
    disabledAt: number | null
    disabledReason: string | null
    expected: { role: string; active: boolean }
    keepAnotherAdmin: boolean
    /** The admin making the change: it applies only while they still are an active admin. */
    actorId: string
    now: number
  },
): D1PreparedStatement {
  const { userId, role, disabledAt, disabledReason, expected, keepAnotherAdmin, actorId, now } = change
  return env.DB.prepare(
    `UPDATE users SET role = ?2, disabled_at = ?3, disabled_reason = ?4, updated_at = ?5
      WHERE id = ?1 AND role = ?6 AND (disabled_at IS NULL) = ?7
        AND EXISTS (SELECT 1 FROM users WHERE id = ?8 AND role = 'admin' AND disabled_at IS NULL)
        ${keepAnotherAdmin ? "AND EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id != ?1)" : ''}`,
  ).bind(userId, role, disabledAt, disabledReason, now, expected.role, expected.active ? 1 : 0, actorId)
}
