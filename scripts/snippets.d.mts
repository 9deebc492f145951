export interface Snippet {
  readonly file: string
  readonly source: string
  readonly kind: "readme" | "example"
  readonly code: string
  readonly test: boolean
}
export declare const root: string
export declare const dir: string
export declare const snippets: () => Array<Snippet>
export declare const run: (check: boolean) => Array<string>
