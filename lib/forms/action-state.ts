/** What a form's server action answers, for `useActionState`. */
export interface ActionState {
  status: "idle" | "ok" | "error";
  message?: string;
  fieldErrors?: Record<string, string[]>;
  /**
   * The submitted fields, echoed back on errors: React resets a form after
   * its action runs, so inputs show these as default values instead.
   */
  values?: Record<string, string>;
  /**
   * What a successful action made that the form shows once and nothing
   * can fetch again, e.g. a signed link's URL (only its hash is stored).
   */
  result?: Record<string, string>;
}

export type FormAction = (previous: ActionState, formData: FormData) => Promise<ActionState>;

export const idleState: ActionState = { status: "idle" };
