import exifr from 'exifr'

/** The EXIF fields Darkroom keeps. GPS is kept apart: only the owner ever sees it. */
export interface ExifSummary {
  takenAt: string | null
  make: string | null
  model: string | null
  lens: string | null
  exposureTime: number | null
  fNumber: number | null
  iso: number | null
  focalLength: number | null
  orientation: number | null
}

export interface GpsInfo {
  latitude: number
  longitude: number
  altitude: number | null
}

export interface ExifResult {
  exif: ExifSummary | null
  gps: GpsInfo | null
  orientation: number
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().replace(/\0+$/, '').slice(0, 100) : null)
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const date = (v: unknown) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString() : null)

/**
 * Reads capture time, camera, lens, exposure and GPS with exifr. Unreadable or missing EXIF
 * is not an error: an image without metadata is still an image.
 */
export async function readExif(bytes: Uint8Array): Promise<ExifResult> {
  let tags: Record<string, unknown> | undefined
  try {
    tags = await exifr.parse(bytes, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      translateValues: false,
      reviveValues: true,
    })
  } catch {
    tags = undefined
  }
  if (!tags) return { exif: null, gps: null, orientation: 1 }
  const orientation = num(tags.Orientation)
  const exif: ExifSummary = {
    takenAt: date(tags.DateTimeOriginal) ?? date(tags.CreateDate),
    make: str(tags.Make),
    model: str(tags.Model),
    lens: str(tags.LensModel),
    exposureTime: num(tags.ExposureTime),
    fNumber: num(tags.FNumber),
    iso: num(tags.ISO),
    focalLength: num(tags.FocalLength),
    orientation,
  }
  const latitude = num(tags.latitude)
  const longitude = num(tags.longitude)
  const gps = latitude !== null && longitude !== null ? { latitude, longitude, altitude: num(tags.GPSAltitude) } : null
  const hasAny = Object.values(exif).some((v) => v !== null)
  return {
    exif: hasAny ? exif : null,
    gps,
    orientation: orientation && orientation >= 1 && orientation <= 8 ? orientation : 1,
  }
}
