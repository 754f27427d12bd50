package extract

import (
	"fmt"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// extractEML reads an RFC 5322 message: the header lines From, To, Cc,
// Subject and Date (encoded words decoded), then the body (the text part, or
// the HTML part converted to text), then the names of attachments.
func extractEML(in *input, s *sink, doc *Document) error {
	p := enmime.NewParser(
		enmime.DisableTextConversion(true), // HTML goes through our own converter
		enmime.MaxStoredPartErrors(16),
	)
	if err := checkMIMEDepth(s.ctx, in.section(), maxMIMEDepth); err != nil {
		return err
	}
	g := &ctxEOFReader{ctx: s.ctx, r: in.section()}
	env, err := p.ReadEnvelope(g)
	switch {
	case g.err != nil:
		return g.err
	case err != nil:
		return fmt.Errorf("%w: mail: %v", ErrMalformed, err)
	}
	if env.Root == nil || len(env.GetHeaderKeys()) == 0 {
		return fmt.Errorf("%w: mail: no header", ErrMalformed)
	}
	subject := strings.TrimSpace(env.GetHeader("Subject"))
	doc.Title = subject
	for _, h := range []string{"From", "To", "Cc", "Subject", "Date"} {
		v := strings.TrimSpace(env.GetHeader(h))
		if v == "" && h == "Cc" {
			continue
		}
		if err := s.write(h + ": " + oneLine(v) + "\n"); err != nil {
			return err
		}
	}
	if err := s.write("\n"); err != nil {
		return err
	}
	body := env.Text
	if strings.TrimSpace(body) != "" {
		if err := s.write(body); err != nil {
			return err
		}
	} else if env.HTML != "" {
		if _, err := htmlToText(strings.NewReader(env.HTML), s); err != nil {
			return err
		}
	}
	var names []string
	for _, group := range [][]*enmime.Part{env.Attachments, env.Inlines} {
		for _, part := range group {
			if part.FileName != "" {
				names = append(names, oneLine(part.FileName))
			}
		}
	}
	if len(names) > 0 {
		if err := s.separator(); err != nil {
			return err
		}
		return s.write("Attachments: " + strings.Join(names, ", ") + "\n")
	}
	return nil
}

// oneLine folds a header value onto one line.
func oneLine(v string) string {
	return strings.Join(strings.Fields(v), " ")
}
