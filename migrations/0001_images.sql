CREATE TABLE `images` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`type` text NOT NULL,
	`visibility` text DEFAULT 'private' NOT NULL,
	`session_id` text,
	`live_session_id` text,
	`task_id` text,
	`filename` text,
	`mime` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`exif` text,
	`gps` text,
	`taken_at` integer,
	`thumbhash` text,
	`original_key` text NOT NULL,
	`thumb_key` text NOT NULL,
	`preview_key` text NOT NULL,
	`preview_ready` integer DEFAULT false NOT NULL,
	`clean_original_key` text,
	`ref_count` integer DEFAULT 1 NOT NULL,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `images_owner_created_idx` ON `images` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `images_owner_session_idx` ON `images` (`owner_id`,`session_id`);--> statement-breakpoint
CREATE INDEX `images_live_session_idx` ON `images` (`live_session_id`);--> statement-breakpoint
CREATE INDEX `images_task_idx` ON `images` (`task_id`);