// Auth.js reports sign-in failures as an `error` query parameter; these are
// the messages people see for them. Anything unknown gets the generic one.
const MESSAGES: Record<string, string> = {
  AccessDenied: "Your identity provider did not allow this sign-in.",
  Deactivated: "Your Podspace account is deactivated. Ask a platform admin to reactivate it.",
  EmailRequired: "Your identity provider did not share an email address, which Podspace needs to know who you are.",
  // Auth.js reports every server-side failure as Configuration: an
  // unreachable identity provider, a callback whose state or nonce does not
  // match, and real misconfiguration alike.
  Configuration:
    "Sign-in could not be completed: the identity provider could not be reached, or its answer did not match this sign-in attempt. Start again, and if it keeps failing, tell your platform team.",
  OAuthSignInError: "The identity provider could not be reached. Try again shortly.",
  OAuthCallbackError: "The identity provider returned an error instead of signing you in.",
  CallbackRouteError:
    "Sign-in could not be completed: the identity provider's answer did not match this sign-in attempt, or it expired. Start again.",
  InvalidCheck:
    "Sign-in could not be completed: the identity provider's answer did not match this sign-in attempt, or it expired. Start again.",
  OAuthAccountNotLinked: "This email is already linked to a different sign-in method.",
  SessionRequired: "Sign in to continue.",
  UnknownProvider: "That identity provider is not configured here. Pick one of the buttons below.",
};

const FALLBACK = "Sign-in failed. Start again, and if it keeps failing, tell your platform team.";

export function signInErrorMessage(code: string): string {
  return MESSAGES[code] ?? FALLBACK;
}
