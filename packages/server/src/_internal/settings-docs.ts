import { settingRows, type SettingRow } from '../settings'

// Help lines are Markdown for the README; a terminal shows them without the marks.
function plain(markdown: string): string {
  return markdown.replace(/\*\*|`/g, '')
}

/** `text` wrapped to `width` columns, every line after the first indented by `indent`. */
function wrap(text: string, indent: number, width = 100): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && indent + line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  lines.push(line)
  return lines.join(`\n${' '.repeat(indent)}`)
}

function flagLabel(flag: NonNullable<SettingRow['flag']>): string {
  return `${flag.short === undefined ? '    ' : `-${flag.short}, `}--${flag.name} ${flag.arg}`
}

// One help entry: the label, then the text from `column` (on the next line when the label is too long).
function entry(label: string, row: SettingRow, column: number): string {
  const help = row.default === 'none' ? plain(row.help) : `${plain(row.help)} (default ${row.default})`
  const start = label.length < column - 1 ? label.padEnd(column - 1) : `${label}\n${' '.repeat(column - 1)}`
  return `${start} ${wrap(help, column)}`
}

/** The option lines of the settings' flags that `serve` takes, or that the link commands take. */
export function settingFlagHelp(command: 'serve' | 'link'): string {
  return settingRows()
    .filter((row) => row.flag !== null && (command === 'serve' || row.flag.link))
    .map((row) => entry(`  ${flagLabel(row.flag as NonNullable<SettingRow['flag']>)}`, row, 25))
    .join('\n')
}

/** Every setting by its environment variable (or config key), for `pytrack serve --help`. */
export function settingVariableHelp(): string {
  return settingRows()
    .map((row) => entry(`  ${row.env ?? `${row.configKeys[0] ?? ''} (config file)`}`, row, 32))
    .join('\n')
}

function code(text: string): string {
  return text === '' ? '' : `\`${text}\``
}

/** The README's settings table. */
export function settingsTable(): string {
  const rows = settingRows().map((row) => {
    const flag = row.flag === null ? '' : `${row.flag.short === undefined ? '' : `${code(`-${row.flag.short}`)}, `}${code(`--${row.flag.name} ${row.flag.arg}`)}`
    const keys = row.configKeys.map(code).join(' or ')
    const fallback = row.default === 'none' ? 'none' : code(row.default)
    return `| ${code(row.env ?? '')} | ${keys} | ${flag} | ${fallback} | ${row.help} |`
  })
  return ['| variable | config key | flag | default | what |', '| --- | --- | --- | --- | --- |', ...rows].join('\n')
}

const TABLE_START = '<!-- settings table: generated from src/settings.ts by `pnpm --filter @pytrack/server docs:settings` -->'
const TABLE_END = '<!-- end of settings table -->'

/** `readme` with the text between the settings-table markers replaced by {@link settingsTable}. */
export function replaceSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  if (start === -1 || end < start) throw new Error(`the README has no settings table markers (${TABLE_START} ... ${TABLE_END})`)
  return `${readme.slice(0, start + TABLE_START.length)}\n${settingsTable()}\n${readme.slice(end)}`
}
