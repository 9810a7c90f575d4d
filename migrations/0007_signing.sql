CREATE TABLE `image_signatures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`format` text NOT NULL,
	`ref` text NOT NULL,
	`verified` integer NOT NULL,
	`authority` text,
	`reason` text,
	`signed_at` text,
	`checked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `image_signatures_image` ON `image_signatures` (`registry`,`repository`,`digest`);--> statement-breakpoint
CREATE INDEX `image_signatures_digest` ON `image_signatures` (`digest`);