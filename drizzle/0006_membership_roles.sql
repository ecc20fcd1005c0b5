-- Console roles belong to a membership, not to the user (src/modules/auth/access.ts): a user of two
-- organizations is, say, viewer in one and admin in the other, and each organization's admins set
-- only their own. Each existing membership starts with the user's role and active flag of before.
ALTER TABLE "user_organizations" ADD COLUMN "role" text;--> statement-breakpoint
ALTER TABLE "user_organizations" ADD COLUMN "is_active" boolean DEFAULT true NOT NULL;--> statement-breakpoint
UPDATE "user_organizations" m SET "role" = u."role", "is_active" = u."is_active" FROM "users" u WHERE u."id" = m."user_id";--> statement-breakpoint
ALTER TABLE "user_organizations" ALTER COLUMN "role" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN "role";--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN "is_active";
