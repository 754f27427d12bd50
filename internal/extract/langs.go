package extract

import (
	"fmt"
	"slices"
	"strings"
)

// tesseractLangs maps every language code of the API (api.Languages, the
// EasyOCR codes) to a tesseract traineddata name.
//
// Where tesseract has no model for a language, the code maps to the model of
// the same script that the language is closest to, so OCR still reads the
// letters: that is a decision, not an accident:
//
//   - Caucasian languages written in Cyrillic (abq Abaza, ady Adyghe, kbd
//     Kabardian, ava Avar, dar Dargwa, inh Ingush, che Chechen, lbe Lak, lez
//     Lezghian, tab Tabasaran) -> "rus" (Russian Cyrillic; the palochka is
//     read as I or 1, which does not hurt classification).
//   - Languages written in Devanagari without their own model (bh Bihari,
//     mai Maithili, ang Angika, bho Bhojpuri, mah Magahi, sck Sadri, bgc
//     Haryanvi) -> "hin"; new Newari -> "nep" (written like Nepali); gom
//     Konkani -> "mar" (Marathi Devanagari conventions).
//   - mni Manipuri (Meitei in Bengali script, as EasyOCR reads it) -> "ben".
//   - pi Pali (romanised, EasyOCR's Latin group) -> "script/Latin", the
//     tesseract Latin-script model with the diacritics Pali needs; when that
//     pack is missing, the usual English fallback applies.
//   - tl Tagalog -> "tgl"; tjk Tajik -> "tgk"; ku Kurdish (Kurmanji, Latin)
//     -> "kmr"; ch_sim / ch_tra -> "chi_sim" / "chi_tra"; rs_latin /
//     rs_cyrillic -> "srp_latn" / "srp".
//
// Codes outside the list are rejected with ErrUnknownLang.
var tesseractLangs = map[string]string{
	"af": "afr", "az": "aze", "bs": "bos", "cs": "ces", "cy": "cym", "da": "dan", "de": "deu",
	"en": "eng", "es": "spa", "et": "est", "fr": "fra", "ga": "gle", "hr": "hrv", "hu": "hun",
	"id": "ind", "is": "isl", "it": "ita", "ku": "kmr", "la": "lat", "lt": "lit", "lv": "lav",
	"mi": "mri", "ms": "msa", "mt": "mlt", "nl": "nld", "no": "nor", "oc": "oci", "pi": "script/Latin",
	"pl": "pol", "pt": "por", "ro": "ron", "rs_latin": "srp_latn", "sk": "slk", "sl": "slv",
	"sq": "sqi", "sv": "swe", "sw": "swa", "tl": "tgl", "tr": "tur", "uz": "uzb", "vi": "vie",
	"ar": "ara", "fa": "fas", "ug": "uig", "ur": "urd", "bn": "ben", "as": "asm", "mni": "ben",
	"ru": "rus", "rs_cyrillic": "srp", "be": "bel", "bg": "bul", "uk": "ukr", "mn": "mon",
	"abq": "rus", "ady": "rus", "kbd": "rus", "ava": "rus", "dar": "rus", "inh": "rus",
	"che": "rus", "lbe": "rus", "lez": "rus", "tab": "rus", "tjk": "tgk", "hi": "hin",
	"mr": "mar", "ne": "nep", "bh": "hin", "mai": "hin", "ang": "hin", "bho": "hin",
	"mah": "hin", "sck": "hin", "new": "nep", "gom": "mar", "sa": "san", "bgc": "hin",
	"th": "tha", "ch_sim": "chi_sim", "ch_tra": "chi_tra", "ja": "jpn", "ko": "kor",
	"ta": "tam", "te": "tel", "kn": "kan",
}

// TesseractLang maps API language codes, one or several separated by commas
// ("" means "en"; "en,de"), to tesseract's language argument ("eng",
// "eng+deu"); see tesseractLangs for the fallbacks. A model named twice is
// given once.
func TesseractLang(codes string) (string, error) {
	if strings.TrimSpace(codes) == "" {
		codes = "en"
	}
	var out []string
	for _, code := range strings.Split(codes, ",") {
		code = strings.TrimSpace(code)
		t, ok := tesseractLangs[code]
		if !ok {
			return "", fmt.Errorf("%w: %q is not one of the API's language codes", ErrUnknownLang, code)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return strings.Join(out, "+"), nil
}
