/** LwM2M resource data types, as the OMA registry's DDF spells them. */
export type ResourceType =
  | "String"
  | "Integer"
  | "Unsigned Integer"
  | "Float"
  | "Boolean"
  | "Opaque"
  | "Time"
  | "Objlnk"
  | "Corelnk"
  | "none";

/** One resource of an object, from the OMA registry's DDF XML. */
export interface ResourceDef {
  id: number;
  name: string;
  type: ResourceType;
  /** MultipleInstances: the resource has instances (/3/0/6/0, /3/0/6/1, ...). */
  multiple: boolean;
  mandatory: boolean;
  /** "R", "W", "RW", "E" or "" */
  operations: string;
  units?: string;
  range?: string;
  /** Value → meaning, where the registry's description enumerates the values. */
  enumeration?: Record<string, string>;
  description?: string;
}

/** One object, from the OMA registry's DDF XML. */
export interface ObjectDef {
  id: number;
  name: string;
  urn: string;
  /** Object version (ObjectVersion, "1.0" when absent in the DDF). */
  version: string;
  lwm2mVersion: string;
  multiple: boolean;
  mandatory: boolean;
  /** Keyed by resource id as a decimal string. */
  resources: Record<string, ResourceDef>;
  /** Where the seeds or common belief differ from the registry. */
  notes?: string[];
  /** Source: repository, path, commit. */
  source?: string;
}

/** Objects keyed by object id (decimal string). */
export type ObjectModel = Record<string, ObjectDef>;

/** One decoded leaf: a full path ("/3/0/6/1") and its value. */
export interface LwM2MEntry {
  path: string;
  /** undefined for a name-only SenML record (a Read-Composite request body) */
  value: unknown;
  /** When the value was measured (SenML bt + t, LwM2M JSON bt + t), UTC ISO with milliseconds; absent when not given. */
  time?: string;
}

/** A link of a CoRE link-format document (RFC 6690). */
export interface Link {
  uri: string;
  /** Attribute values; a bare attribute (`obs`) is `true`; quotes removed. */
  params: Record<string, string | true>;
}

/** What a Register (or Update) payload announces. */
export interface RegisteredObjects {
  /** Alternate root path (`</lwm2m>;rt="oma.lwm2m"`), "/" when none. */
  rootPath: string;
  /** Content formats announced with `ct=` on the root link (LwM2M 1.1), e.g. [60, 110, 112, 1542, 11542, 11543]. */
  contentFormats?: number[];
  /** One per object, sorted by id: version from `ver=`, instance ids (empty when only </id> is announced). */
  objects: Array<{ id: number; version?: string; instances: number[] }>;
  links: Link[];
}

/** How a firmware Update Result (/5/0/5) should be handled. */
export type FirmwareResultClass =
  | "pending"
  | "success"
  | "retryable"
  | "permanent"
  | "check-version"
  | "cancelled"
  | "deferred";

export interface FirmwareResult {
  code: number;
  text: string;
  class: FirmwareResultClass;
  /** class === "retryable" */
  retryable: boolean;
  /** The code is not one of Object 5's 0..11. */
  unknown?: boolean;
}
