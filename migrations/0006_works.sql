CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_by` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `follows` (
	`follower_id` text NOT NULL,
	`followee_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`follower_id`, `followee_id`),
	FOREIGN KEY (`follower_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`followee_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `follows_followee_idx` ON `follows` (`followee_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `work_comments` (
	`id` text PRIMARY KEY NOT NULL,
	`work_id` text NOT NULL,
	`user_id` text NOT NULL,
	`text` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`work_id`) REFERENCES `works`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `work_comments_work_created_idx` ON `work_comments` (`work_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `work_comments_user_idx` ON `work_comments` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `work_likes` (
	`work_id` text NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`work_id`, `user_id`),
	FOREIGN KEY (`work_id`) REFERENCES `works`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `work_likes_user_idx` ON `work_likes` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `work_likes_recent_idx` ON `work_likes` (`created_at`,`work_id`);--> statement-breakpoint
CREATE TABLE `work_views` (
	`work_id` text NOT NULL,
	`viewer` text NOT NULL,
	`day` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`work_id`, `viewer`, `day`),
	FOREIGN KEY (`work_id`) REFERENCES `works`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `work_views_created_idx` ON `work_views` (`created_at`);--> statement-breakpoint
CREATE TABLE `works` (
	`id` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`user_id` text NOT NULL,
	`image_id` text NOT NULL,
	`task_id` text,
	`title` text,
	`description` text,
	`prompt` text,
	`negative_prompt` text,
	`params` text,
	`tags` text DEFAULT '[]' NOT NULL,
	`category` text,
	`is_public` integer DEFAULT false NOT NULL,
	`review_status` text DEFAULT 'none' NOT NULL,
	`review_reason` text,
	`reviewed_at` integer,
	`reviewed_by` text,
	`featured` integer DEFAULT false NOT NULL,
	`views_count` integer DEFAULT 0 NOT NULL,
	`likes_count` integer DEFAULT 0 NOT NULL,
	`comments_count` integer DEFAULT 0 NOT NULL,
	`published_at` integer,
	`publish_version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`image_id`) REFERENCES `images`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `works_image_unique` ON `works` (`image_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `works_seq_unique` ON `works` (`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `works_user_title_unique` ON `works` (`user_id`,lower("title")) WHERE "works"."title" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `works_user_created_idx` ON `works` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `works_gallery_published_idx` ON `works` (`published_at`,`id`) WHERE "works"."published_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `works_gallery_likes_idx` ON `works` (`likes_count`,`id`) WHERE "works"."published_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `works_gallery_views_idx` ON `works` (`views_count`,`id`) WHERE "works"."published_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `works_review_idx` ON `works` (`review_status`,`updated_at`);--> statement-breakpoint
CREATE INDEX `works_task_idx` ON `works` (`task_id`);--> statement-breakpoint
ALTER TABLE `tasks` ADD `error_code` text;