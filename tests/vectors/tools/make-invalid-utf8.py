#!/usr/bin/env python3
"""Writes the invalid-UTF-8 conformance vectors as raw bytes (they cannot be typed into a text editor)."""
import json, os

here = os.path.dirname(os.path.abspath(__file__))
invalid = os.path.join(here, '..', 'invalid')

CASES = [
    ('invalid-utf8-lone-continuation', b'{"type":"event","payload":{"event":"a\x80b"}}', 'A continuation byte without a lead byte.'),
    ('invalid-utf8-overlong-slash', b'{"type":"event","payload":{"event":"\xc0\xaf"}}', 'An overlong two-byte encoding of "/".'),
    ('invalid-utf8-surrogate', b'{"type":"event","payload":{"event":"\xed\xa0\x80"}}', 'An encoded UTF-16 surrogate (U+D800).'),
    ('invalid-utf8-truncated-sequence', b'{"type":"event","payload":{"event":"\xe2\x82"}}', 'A three-byte sequence cut after two bytes.'),
    ('invalid-utf8-ff-byte', b'{"type":"event","payload":{"event":"\xff"}}', 'The byte 0xFF never appears in UTF-8.'),
    ('invalid-utf8-in-key', b'{"type":"event","\xfe":1,"payload":{"event":"x"}}', 'Invalid UTF-8 in an ignored key is still rejected.'),
    ('invalid-utf8-at-end', b'{"type":"heartbeat"}\xc3', 'A lead byte as the last byte of the message.'),
    ('invalid-utf8-above-max', b'{"type":"event","payload":{"event":"\xf4\x90\x80\x80"}}', 'A code point above U+10FFFF.'),
]

for name, data, description in CASES:
    with open(os.path.join(invalid, name + '.json'), 'wb') as f:
        f.write(data)
    expected = {'valid': False, 'description': description, 'error': 'invalid_utf8', 'field': None, 'stage': 'envelope',
                'offset': data.index(next(b for b in data if b >= 0x80).to_bytes(1, 'big'))}
    with open(os.path.join(invalid, name + '.expected.json'), 'w', encoding='utf-8', newline='\n') as f:
        f.write(json.dumps(expected, indent=2) + '\n')
