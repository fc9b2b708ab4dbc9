CREATE TABLE `chat_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`fts_id` integer NOT NULL,
	`session_id` text NOT NULL,
	`user_id` text NOT NULL,
	`seq` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`role` text NOT NULL,
	`text` text DEFAULT '' NOT NULL,
	`params` text,
	`image_ids` text DEFAULT '[]' NOT NULL,
	`status` text DEFAULT 'none' NOT NULL,
	`task_id` text,
	`error` text,
	`edited_of` text,
	`superseded_by` text,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `chat_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chat_messages_fts_id_unique` ON `chat_messages` (`fts_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `chat_messages_version_unique` ON `chat_messages` (`session_id`,`seq`,`version`);--> statement-breakpoint
CREATE INDEX `chat_messages_current_idx` ON `chat_messages` (`session_id`,`seq`) WHERE "chat_messages"."superseded_by" IS NULL AND "chat_messages"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `chat_messages_current_created_idx` ON `chat_messages` (`session_id`,`created_at`) WHERE "chat_messages"."superseded_by" IS NULL AND "chat_messages"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `chat_messages_task_idx` ON `chat_messages` (`task_id`) WHERE "chat_messages"."task_id" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `chat_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`user_id` text NOT NULL,
	`title` text,
	`title_by_user` integer DEFAULT false NOT NULL,
	`message_count` integer DEFAULT 0 NOT NULL,
	`last_message_at` integer,
	`activity_at` integer NOT NULL,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chat_sessions_seq_unique` ON `chat_sessions` (`seq`);--> statement-breakpoint
CREATE INDEX `chat_sessions_user_activity_idx` ON `chat_sessions` (`user_id`,`activity_at`,`id`) WHERE "chat_sessions"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `chat_sessions_deleted_idx` ON `chat_sessions` (`deleted_at`) WHERE "chat_sessions"."deleted_at" IS NOT NULL;