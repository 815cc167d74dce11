// Generated HTML for property tests, shared by the suites that need it.
import fc from 'fast-check'

// Pieces that stress the tokenizer: every quoting style, broken tags and comments, conditional
// comments, raw-text elements, entities, merge tags and opt-outs, glued together at random.
const piece: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '<a href="https://example.com/p?a=1&amp;b=2">', "<a href='http://example.com/'>", '<A HREF=https://example.com/u>',
    '<a href = " //cdn.example.com/x ">', '<area href="https://example.com/area">', '<a href>', '<a href=">',
    '<a data-notrack href="https://example.com/n">', '<a href="https://example.com/{{ id }}">', '</a>',
    '<!--', '-->', '--!>', '<!-->', '<!--[if mso]>', '<![endif]-->', '<!--[if !mso]><!-- -->', '<!--<![endif]-->',
    '<v:roundrect href="https://example.com/vml">', '<v:rect href=', '<body>', '<BODY class=x>', '</body>', '</BODY >',
    '<script>', '</script>', '<style>', '<title>', '<textarea>', '<![CDATA[', ']]>', '<!DOCTYPE html>', '<?xml ?>',
    '<!>', '<!->', '<!--!>', '</p x=">">', '</style/>', '<title/>', '<iframe>', '</iframe>', '<plaintext>', '<tmp>',
    '<', '>', '</', '/>', '"', "'", '=', '&', '&amp;', '&#x', '&eacute;', ' ', '\n', '\t', '\u0000', 'href', 'https://',
    '*|UNSUB|*', '%%x%%', '[[y]]', 'é', '😀', '\uD800',
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
)
export const htmlish: fc.Arbitrary<string> = fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join(''))
