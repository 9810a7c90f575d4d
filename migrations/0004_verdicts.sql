CREATE TABLE `image_verdicts` (
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`root_digest` text NOT NULL,
	`verdict` text NOT NULL,
	`policy_name` text NOT NULL,
	`policy_version` integer NOT NULL,
	`mode` text NOT NULL,
	`db_version` text,
	`summary` text NOT NULL,
	`details` text NOT NULL,
	`scan_id` text,
	`evaluated_at` integer NOT NULL,
	`quarantine` text DEFAULT 'none' NOT NULL,
	`gated` integer DEFAULT false NOT NULL,
	`released_at` integer,
	`released_by` text,
	`release_reason` text,
	PRIMARY KEY(`registry`, `repository`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `image_verdicts_root` ON `image_verdicts` (`root_digest`);