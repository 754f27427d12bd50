package api

import "strings"

// Languages are the parsing languages of the API (EasyOCR-style codes), in the
// order of the reference.
var Languages = []string{
	"af", "az", "bs", "cs", "cy", "da", "de", "en", "es", "et", "fr", "ga", "hr", "hu", "id", "is", "it", "ku", "la",
	"lt", "lv", "mi", "ms", "mt", "nl", "no", "oc", "pi", "pl", "pt", "ro", "rs_latin", "sk", "sl", "sq", "sv", "sw",
	"tl", "tr", "uz", "vi", "ar", "fa", "ug", "ur", "bn", "as", "mni", "ru", "rs_cyrillic", "be", "bg", "uk", "mn",
	"abq", "ady", "kbd", "ava", "dar", "inh", "che", "lbe", "lez", "tab", "tjk", "hi", "mr", "ne", "bh", "mai", "ang",
	"bho", "mah", "sck", "new", "gom", "sa", "bgc", "th", "ch_sim", "ch_tra", "ja", "ko", "ta", "te", "kn",
}

// ValidLangs reports whether list is one or more of Languages separated by
// commas ("en", "en,de", "de, fr"): the embedded engine reads documents in
// several languages at once (OCR with all of them).
func ValidLangs(list string) bool {
	for _, code := range strings.Split(list, ",") {
		if !ValidLang(strings.TrimSpace(code)) {
			return false
		}
	}
	return true
}

// ValidLang reports whether code is one of Languages.
func ValidLang(code string) bool {
	for _, l := range Languages {
		if l == code {
			return true
		}
	}
	return false
}
