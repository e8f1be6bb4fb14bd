"use server";

import { z } from "zod";
import { signIn } from "@/lib/auth/auth";
import { oidcProviders } from "@/lib/auth/settings";

const signInInput = z.object({
  provider: z.string(),
  // Only same-site paths: an absolute URL here would be an open redirect.
  callbackUrl: z
    .string()
    .regex(/^\/(?!\/)/)
    .catch("/"),
});

/** Begins an OIDC sign-in and returns where the browser goes next: the provider, or /login with an error. */
export async function signInWithProvider(provider: unknown, callbackUrl: unknown): Promise<string> {
  const input = signInInput.safeParse({ provider, callbackUrl });
  if (!input.success || !oidcProviders().some((p) => p.id === input.data.provider)) return "/login?error=UnknownProvider";
  return signIn(input.data.provider, { redirectTo: input.data.callbackUrl, redirect: false });
}
