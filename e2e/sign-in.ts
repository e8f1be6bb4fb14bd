import type { Page } from "playwright-core";

/**
 * Signs in through Podspace's /login page and the identity provider's own
 * page, the way a person does: click the provider, pick the account.
 */
export async function signIn(page: Page, baseUrl: string, options: { provider: RegExp; account: RegExp }): Promise<void> {
  // Start signed out of Podspace and of the identity provider, whoever the
  // browser was before.
  await page.context().clearCookies();
  await page.goto(`${baseUrl}/login`);
  await page.getByRole("button", { name: options.provider }).click();
  await page.getByRole("button", { name: options.account }).click();
  await page.waitForURL((url) => url.origin === baseUrl && !url.pathname.startsWith("/api/auth"));
}

export const DEMO = /Demo identity provider/;

/** The message /login shows for a failed sign-in (Next's route announcer is an alert too). */
export const signInError = (page: Page) => page.getByRole("main").getByRole("alert");
