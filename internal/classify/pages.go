package classify

import "context"

// Pages counts the pages of the file at path, reading at most max (1 for
// page-less formats): what sending it to LlamaCloud costs, for the
// daemon's escalation budget.
func (p *Classifier) Pages(ctx context.Context, path string, max int) (int, error) {
	opts := p.o.LearnOptions
	opts.MaxPages = max
	doc, err := p.Doc(ctx, path, opts)
	if err != nil {
		return 0, err
	}
	return doc.Pages, nil
}
