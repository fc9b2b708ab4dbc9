CREATE TABLE `credit_ledger` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`amount` integer NOT NULL,
	`reason` text NOT NULL,
	`task_id` text,
	`order_id` text,
	`balance_after` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `credit_ledger_user_created_idx` ON `credit_ledger` (`user_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `credit_ledger_task_reason_unique` ON `credit_ledger` (`task_id`,`reason`);--> statement-breakpoint
CREATE TABLE `scenes` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`category` text,
	`cover_image_url` text,
	`prompt_template` text NOT NULL,
	`negative_prompt` text,
	`default_params` text,
	`cost` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `scenes_active_order_idx` ON `scenes` (`active`,`sort_order`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`status` text NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`prompt` text NOT NULL,
	`negative_prompt` text,
	`model` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`batch_size` integer NOT NULL,
	`cfg_scale` real NOT NULL,
	`steps` integer NOT NULL,
	`seed` integer NOT NULL,
	`sampler` text NOT NULL,
	`clip_skip` integer NOT NULL,
	`scene_id` text,
	`input_image_ids` text,
	`result_image_ids` text,
	`cost` integer NOT NULL,
	`provider` text NOT NULL,
	`provider_job_id` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`idempotency_key` text,
	`request_hash` text,
	`estimated_seconds` integer NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tasks_user_created_idx` ON `tasks` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_status_idx` ON `tasks` (`status`,`updated_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_user_idempotency_unique` ON `tasks` (`user_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `tasks_provider_job_idx` ON `tasks` (`provider`,`provider_job_id`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`task_id` text,
	`received_at` integer NOT NULL
);
