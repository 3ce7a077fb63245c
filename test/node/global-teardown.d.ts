interface ProjectConfigLike {
    rootDir?: string;
}
export default function globalTeardown(_globalConfig: unknown, projectConfig?: ProjectConfigLike): void;
export {};
