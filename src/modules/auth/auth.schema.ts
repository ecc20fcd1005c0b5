import { z } from "zod";
import { oneLine, secret } from "../../platform/input";

export const loginInput = z.object({
  username: oneLine().min(1, "请输入用户名").max(64, "用户名过长"),
  password: secret().min(1, "请输入密码").max(200, "密码过长"),
});

export const sessionUserOutput = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
});

export const sessionOutput = z.object({
  user: sessionUserOutput,
  /** The organizations of the user's active memberships, each with the user's role there. */
  organizations: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      taxId: z.string(),
      role: z.enum(["admin", "operator", "viewer"]),
    }),
  ),
  csrfToken: z.string(),
  expiresAt: z.string(),
});
export type SessionOutput = z.infer<typeof sessionOutput>;
