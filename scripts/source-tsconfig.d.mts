export declare const root: string
export declare const packages: () => Array<string>
export declare const sourceTsconfig: () => string
