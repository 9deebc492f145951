export declare const packageDir: string
export declare const defaultOutdir: string
export declare const bundle: (outdir?: string) => Promise<string>
