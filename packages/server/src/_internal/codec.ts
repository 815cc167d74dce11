import { base64Codec, Configuration, isPytrackError, type Codec } from '@pytrack/core'
import { fernetCodec, signedCodec } from '@pytrack/crypto'
import { SettingsError } from '../errors/settings-error'
import { settingSource, type ServerSettings } from '../settings'
import type { LoadedKeys } from './keys'

/** The codec the settings name, built from the loaded keys; a bad key is a settings error. */
export function codecOf(settings: Pick<ServerSettings, 'codec' | 'maxLinkAgeSeconds'>, keys: LoadedKeys): Codec {
  if (settings.codec === 'base64') return base64Codec
  const options = settings.maxLinkAgeSeconds === null ? {} : { maxAgeSeconds: settings.maxLinkAgeSeconds }
  const where = keys.source === 'settings' ? settingSource(settings, 'keys') : `the key file ${keys.file ?? ''}`
  try {
    return settings.codec === 'fernet' ? fernetCodec(keys.keys, options) : signedCodec(keys.keys, options)
  } catch (error) {
    if (!isPytrackError(error)) throw error
    // The crypto message says which key (by position) and why, never the key itself.
    throw new SettingsError(
      `${where}: ${error.message}; pytrack keygen makes one`,
      { setting: keys.source === 'settings' ? where : settingSource(settings, 'keyFile'), cause: error },
    )
  }
}

/** The link configuration of the settings and the loaded keys: the server's, its adapt worker's and the CLI's. */
export function configurationOf(settings: ServerSettings, keys: LoadedKeys): Configuration {
  return new Configuration({
    baseOpenTrackingUrl: settings.baseOpenTrackingUrl,
    baseClickTrackingUrl: settings.baseClickTrackingUrl,
    defaultMetadata: settings.defaultMetadata,
    includeDefaultMetadata: settings.includeDefaultMetadata,
    appendSlash: settings.appendSlash,
    codec: codecOf(settings, keys),
  })
}
