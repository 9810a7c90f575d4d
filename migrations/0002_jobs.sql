CREATE TABLE `images` (
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`media_type` text,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`deleted_at` integer,
	`last_scan_id` text,
	PRIMARY KEY(`registry`, `repository`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `images_digest` ON `images` (`digest`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text,
	`tag` text,
	`origin` text NOT NULL,
	`dedup_key` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`next_run_at` integer NOT NULL,
	`lease_owner` text,
	`lease_expires_at` integer,
	`last_error` text,
	`last_error_kind` text,
	`scan_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_dedup` ON `jobs` (`dedup_key`);--> statement-breakpoint
CREATE INDEX `jobs_claim` ON `jobs` (`state`,`next_run_at`);--> statement-breakpoint
CREATE TABLE `scans` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text,
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`ref` text NOT NULL,
	`db_version` text,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	`platforms` integer NOT NULL,
	`packages` integer NOT NULL,
	`findings` integer NOT NULL,
	`critical` integer DEFAULT 0 NOT NULL,
	`high` integer DEFAULT 0 NOT NULL,
	`medium` integer DEFAULT 0 NOT NULL,
	`low` integer DEFAULT 0 NOT NULL,
	`report` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `scans_digest` ON `scans` (`digest`,`finished_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `scans_job` ON `scans` (`job_id`);--> statement-breakpoint
CREATE TABLE `tags` (
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`tag` text NOT NULL,
	`digest` text,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`registry`, `repository`, `tag`)
);
--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`received_at` integer NOT NULL,
	`action` text NOT NULL,
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text,
	`tag` text,
	`media_type` text,
	`delivery_id` text,
	`outcome` text NOT NULL,
	`job_id` text
);
--> statement-breakpoint
CREATE INDEX `webhook_events_received` ON `webhook_events` (`received_at`);