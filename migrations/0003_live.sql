CREATE TABLE `live_photo_likes` (
	`photo_id` text NOT NULL,
	`guest_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`photo_id`, `guest_id`),
	FOREIGN KEY (`photo_id`) REFERENCES `live_photos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `live_photos` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`image_id` text NOT NULL,
	`seq` integer NOT NULL,
	`caption` text,
	`status` text NOT NULL,
	`featured` integer DEFAULT false NOT NULL,
	`taken_at` integer,
	`view_count` integer DEFAULT 0 NOT NULL,
	`like_count` integer DEFAULT 0 NOT NULL,
	`guest_thumb_key` text,
	`guest_preview_key` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `live_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `live_photos_session_seq_unique` ON `live_photos` (`session_id`,`seq`);--> statement-breakpoint
CREATE INDEX `live_photos_session_status_idx` ON `live_photos` (`session_id`,`status`,`seq`);--> statement-breakpoint
CREATE TABLE `live_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`cover_image_id` text,
	`starts_at` integer,
	`ends_at` integer,
	`status` text DEFAULT 'live' NOT NULL,
	`access_code` text,
	`code_version` integer DEFAULT 1 NOT NULL,
	`moderation` text DEFAULT 'auto' NOT NULL,
	`watermark` text,
	`download_policy` text DEFAULT 'preview' NOT NULL,
	`photo_seq` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `live_sessions_owner_idx` ON `live_sessions` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `live_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`r2_upload_id` text NOT NULL,
	`key` text NOT NULL,
	`filename` text,
	`total_bytes` integer NOT NULL,
	`parts` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `live_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
