export declare const projects: (dir: string) => Array<string>
export declare const stale: (dir: string, shared?: ReadonlyArray<string>) => Array<string>
export declare const touch: (dir: string) => void
