"""Which licences the text matcher knows, and the reference texts of those that the installed SPDX text
package (`spdx`, the SPDX licence list as plain texts) does not ship.

The three texts below are written out for this module from the SPDX licence list's published wording
(https://spdx.org/licenses/); copyright lines and placeholders are left out, as the matcher drops them.
"""

from __future__ import annotations

# SPDX ids matched by text: the permissive family the GitHub rule keeps, the permissive licences a user
# may add with --license-allow, and the copyleft licences it must tell apart. A short curated list
# (as Licensee's) rather than all 340 texts: near-identical variants (MIT-feh, BSD-2-Clause-NetBSD...)
# would otherwise win on a reworded line.
KNOWN = (
    "0BSD AFL-3.0 AGPL-3.0 Apache-1.0 Apache-1.1 Apache-2.0 Artistic-2.0 BSD-1-Clause BSD-2-Clause "
    "BSD-2-Clause-Patent BSD-3-Clause BSD-3-Clause-Clear BSD-4-Clause BSL-1.0 CC-BY-4.0 CC-BY-SA-4.0 "
    "CC0-1.0 CDDL-1.0 ECL-2.0 EPL-1.0 EPL-2.0 EUPL-1.1 EUPL-1.2 GPL-2.0 GPL-3.0 ISC LGPL-2.0 LGPL-2.1 "
    "LGPL-3.0 MIT MIT-0 MPL-1.1 MPL-2.0 MS-PL MS-RL NCSA OFL-1.1 OSL-3.0 PostgreSQL Python-2.0 UPL-1.0 "
    "Unlicense WTFPL X11 Zlib"
).split()

_DISCLAIMER_MIT = (
    'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT '
    "LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN "
    "NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, "
    "WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE "
    "SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."
)
_DISCLAIMER_BSD = (
    'THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED '
    "WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A "
    "PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR "
    "ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT "
    "LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS "
    "INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR "
    "TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF "
    "ADVISED OF THE POSSIBILITY OF SUCH DAMAGE."
)
_BSD_HEAD = (
    "Redistribution and use in source and binary forms, with or without modification, are permitted "
    "provided that the following conditions are met:\n\n"
    "1. Redistributions of source code must retain the above copyright notice, this list of conditions and "
    "the following disclaimer.\n\n"
)

TEXTS: dict[str, str] = {
    "MIT-0": (
        "MIT No Attribution\n\n"
        "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and "
        'associated documentation files (the "Software"), to deal in the Software without restriction, '
        "including without limitation the rights to use, copy, modify, merge, publish, distribute, "
        "sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is "
        "furnished to do so.\n\n" + _DISCLAIMER_MIT
    ),
    "BSD-1-Clause": _BSD_HEAD + _DISCLAIMER_BSD,
    "BSD-2-Clause-Patent": (
        _BSD_HEAD + "2. Redistributions in binary form must reproduce the above copyright notice, this list of "
        "conditions and the following disclaimer in the documentation and/or other materials provided with "
        "the distribution.\n\n"
        "Subject to the terms and conditions of this license, each copyright holder and contributor hereby "
        "grants to those receiving rights under this license a perpetual, worldwide, non-exclusive, "
        "no-charge, royalty-free, irrevocable (except for failure to satisfy the conditions of this "
        "license) patent license to make, have made, use, offer to sell, sell, import, and otherwise "
        "transfer this software, where such license applies only to those patent claims, already acquired "
        "or hereafter acquired, licensable by such copyright holder or contributor that are necessarily "
        "infringed by:\n\n(a) their Contribution(s) (the licensed copyrights of copyright holders and "
        "non-copyrightable additions of contributors, in source or binary form) alone; or\n\n(b) "
        "combination of their Contribution(s) with the work of authorship to which such Contribution(s) "
        "was added by such copyright holder or contributor, if, at the time the Contribution is added, "
        "such addition causes such combination to be necessarily infringed. The patent license shall not "
        "apply to any other combinations which include the Contribution.\n\n"
        "Except as expressly stated above, no rights or licenses from any copyright holder or contributor "
        "is granted under this license, whether expressly, by implication, estoppel or otherwise.\n\n"
        "DISCLAIMER\n\n" + _DISCLAIMER_BSD
    ),
}
