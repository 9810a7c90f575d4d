CREATE TABLE `layer_analysis` (
	`layer_digest` text NOT NULL,
	`analyzers_key` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer NOT NULL,
	PRIMARY KEY(`layer_digest`, `analyzers_key`)
);
