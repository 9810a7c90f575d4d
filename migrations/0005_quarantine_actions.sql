CREATE TABLE `quarantine_actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`trigger` text NOT NULL,
	`type` text NOT NULL,
	`ok` integer NOT NULL,
	`detail` text NOT NULL,
	`undo` text,
	`created_at` integer NOT NULL,
	`undone_at` integer
);
--> statement-breakpoint
CREATE INDEX `quarantine_actions_image` ON `quarantine_actions` (`registry`,`repository`,`digest`);--> statement-breakpoint
CREATE TABLE `vex_documents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`doc_id` text NOT NULL,
	`content` text NOT NULL,
	`imported_at` integer NOT NULL,
	`imported_by` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `vex_documents_doc` ON `vex_documents` (`doc_id`);