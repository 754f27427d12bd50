package extract

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// Extensions used only to break ties when the content is not conclusive.
var (
	textExts = map[string]bool{
		".txt": true, ".text": true, ".md": true, ".markdown": true, ".csv": true, ".tsv": true,
		".json": true, ".xml": true, ".log": true, ".rst": true, ".yaml": true, ".yml": true,
	}
	htmlExts = map[string]bool{".html": true, ".htm": true, ".xhtml": true}
	mailExts = map[string]bool{".eml": true, ".mbox": true}
)

// imageMIMEs are the image types tesseract (leptonica) reads.
var imageMIMEs = []string{
	"image/png", "image/jpeg", "image/tiff", "image/bmp", "image/gif", "image/webp", "image/jp2",
	"image/x-portable-bitmap", "image/x-portable-graymap", "image/x-portable-pixmap",
}

// detect names the format of in by its content, the extension breaking ties.
func detect(in *input, cfg Config) (string, error) {
	mt := mimetype.Detect(in.head)
	switch {
	case mt.Is("application/pdf"):
		return "pdf", nil
	case mt.Is("application/vnd.openxmlformats-officedocument.wordprocessingml.document"):
		return "docx", nil
	case mt.Is("application/vnd.openxmlformats-officedocument.presentationml.presentation"):
		return "pptx", nil
	case mt.Is("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
		return "xlsx", nil
	case mt.Is("application/vnd.oasis.opendocument.text"), mt.Is("application/vnd.oasis.opendocument.text-template"):
		return "odt", nil
	case mt.Is("application/vnd.oasis.opendocument.presentation"), mt.Is("application/vnd.oasis.opendocument.presentation-template"):
		return "odp", nil
	case mt.Is("application/zip"):
		return zipKind(in, cfg)
	case isOneOf(mt, imageMIMEs):
		return "image", nil
	case mt.Is("text/html"), mt.Is("application/xhtml+xml"):
		return "html", nil
	case mt.Is("message/rfc822"):
		// mimetype takes one header-like first line for mail; ask for more.
		if mailExts[in.ext] {
			return "eml", nil
		}
		if looksLikeMail(in.head) {
			in.sniffedMail = true
			return "eml", nil
		}
		return "text", nil
	case isText(mt):
		switch {
		case mailExts[in.ext]:
			return "eml", nil
		case htmlExts[in.ext]:
			return "html", nil
		}
		return "text", nil
	}
	// Content is not conclusive (e.g. BOM-less UTF-16, a PDF with junk
	// before its header): the extension decides, within reason.
	switch {
	case in.ext == ".pdf" && bytes.Contains(in.head, []byte("%PDF-")):
		return "pdf", nil
	case (textExts[in.ext] || mailExts[in.ext] || htmlExts[in.ext]) && !isBinary(in.head):
		if mailExts[in.ext] {
			return "eml", nil
		}
		if htmlExts[in.ext] {
			return "html", nil
		}
		return "text", nil
	case in.ext == "" && !isBinary(in.head) && looksUTF16(in.head):
		return "text", nil
	}
	return mt.Extension(), fmt.Errorf("%w: %s", ErrUnsupported, mt.String())
}

func isOneOf(mt *mimetype.MIME, list []string) bool {
	for _, m := range list {
		if mt.Is(m) {
			return true
		}
	}
	return false
}

// isText reports mt or one of its ancestors is text/plain (CSV, JSON, XML, ...).
func isText(mt *mimetype.MIME) bool {
	for m := mt; m != nil; m = m.Parent() {
		if m.Is("text/plain") {
			return true
		}
	}
	return false
}

// zipKind tells the OOXML and ODF formats apart by their entries, for
// archives whose first entries mimetype did not recognise.
func zipKind(in *input, cfg Config) (string, error) {
	zr, err := in.zipReader(cfg.MaxZipEntries)
	if err != nil {
		return "zip", err
	}
	has := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		has[f.Name] = f
	}
	switch {
	case has["word/document.xml"] != nil:
		return "docx", nil
	case has["ppt/presentation.xml"] != nil:
		return "pptx", nil
	case has["xl/workbook.xml"] != nil:
		return "xlsx", nil
	}
	if f := has["mimetype"]; f != nil && f.UncompressedSize64 < 256 {
		if rc, err := f.Open(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 256))
			rc.Close()
			switch m := strings.TrimSpace(string(b)); {
			case strings.HasPrefix(m, "application/vnd.oasis.opendocument.text"):
				return "odt", nil
			case strings.HasPrefix(m, "application/vnd.oasis.opendocument.presentation"):
				return "odp", nil
			}
		}
	}
	if has["content.xml"] != nil {
		switch in.ext {
		case ".odt", ".ott":
			return "odt", nil
		case ".odp", ".otp":
			return "odp", nil
		}
	}
	return "zip", fmt.Errorf("%w: zip archive", ErrUnsupported)
}

// looksLikeMail wants the first line to be a header and at least two of the
// usual mail headers before the first blank line.
func looksLikeMail(head []byte) bool {
	known := []string{"from:", "to:", "subject:", "date:", "message-id:", "mime-version:",
		"received:", "return-path:", "content-type:", "delivered-to:", "reply-to:", "cc:"}
	seen := 0
	for i, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // folded header
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || bytes.ContainsAny(line[:colon], " \t") {
			if i == 0 && bytes.HasPrefix(line, []byte("From ")) {
				continue // mbox separator
			}
			return false
		}
		name := strings.ToLower(string(line[:colon+1]))
		for _, k := range known {
			if name == k {
				seen++
				break
			}
		}
	}
	return seen >= 2
}
