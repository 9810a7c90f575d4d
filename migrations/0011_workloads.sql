CREATE TABLE `workloads` (
	`cluster` text NOT NULL,
	`namespace` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`container` text NOT NULL,
	`image` text NOT NULL,
	`digest` text,
	`replicas` integer NOT NULL,
	`labels` text NOT NULL,
	`service_account` text,
	`exposure` text NOT NULL,
	`exposed_by` text NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	PRIMARY KEY(`cluster`, `namespace`, `kind`, `name`, `container`)
);
--> statement-breakpoint
CREATE INDEX `workloads_digest` ON `workloads` (`digest`);