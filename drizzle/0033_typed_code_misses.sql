CREATE TABLE "typed_code_misses" (
	"address" text NOT NULL,
	"day" text NOT NULL,
	"misses" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "typed_code_misses_address_day_pk" PRIMARY KEY("address","day")
);
