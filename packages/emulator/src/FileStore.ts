/**
 * A minimal Files API (`POST /v1/files`) so `input_reference[file_id]` can be exercised: uploads
 * are kept on disk with their declared MIME type.
 */
import { fileId } from "./Ids.ts"
import type { UploadedFile } from "./Multipart.ts"

export interface StoredFile {
  readonly id: string
  readonly path: string
  readonly mimeType: string
  readonly filename: string
  readonly bytes: number
  readonly purpose: string
  readonly createdAt: number
}

export class FileStore {
  private readonly files = new Map<string, StoredFile>()

  add(upload: UploadedFile, purpose: string): StoredFile {
    const file: StoredFile = {
      id: fileId(),
      path: upload.path,
      mimeType: upload.mimeType,
      filename: upload.filename,
      bytes: upload.bytes,
      purpose,
      createdAt: Math.floor(Date.now() / 1000)
    }
    this.files.set(file.id, file)
    return file
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id)
  }
}

/** The wire shape of OpenAI's `OpenAIFile`. */
export const toFileObject = (f: StoredFile) => ({
  id: f.id,
  object: "file" as const,
  bytes: f.bytes,
  created_at: f.createdAt,
  expires_at: null,
  filename: f.filename,
  purpose: f.purpose,
  status: "processed" as const,
  status_details: null
})
