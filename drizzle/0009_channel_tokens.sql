CREATE TABLE "channel_tokens" (
	"key" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"token_ciphertext" text NOT NULL,
	"expires_at" timestamp with time zone,
	"obtained_at" timestamp with time zone NOT NULL
);
