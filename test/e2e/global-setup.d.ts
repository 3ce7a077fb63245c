interface ProjectConfigLike {
    rootDir?: string;
}
export default function globalSetup(_globalConfig: unknown, projectConfig?: ProjectConfigLike): void;
export {};
