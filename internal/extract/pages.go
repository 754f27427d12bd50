package extract

import "sort"

// pageSelector applies Options.TargetPages (0-indexed; out-of-range entries
// ignored) and Options.MaxPages (a cap on pages read) to a sequence of pages.
type pageSelector struct {
	targets map[int]bool // nil = all
	max     int          // 0 = no limit
	index   int          // next page index for next()
	taken   int
}

// newPageSelector; count < 0 means the page count is not known up front.
func newPageSelector(count int, opts Options) *pageSelector {
	p := &pageSelector{max: opts.MaxPages}
	if len(opts.TargetPages) > 0 {
		p.targets = make(map[int]bool, len(opts.TargetPages))
		for _, t := range opts.TargetPages {
			if t >= 0 && (count < 0 || t < count) {
				p.targets[t] = true
			}
		}
	}
	return p
}

// want reports whether page i is read, counting it if so. Pages must be asked
// for in increasing order.
func (p *pageSelector) want(i int) bool {
	if p.max > 0 && p.taken >= p.max {
		return false
	}
	if p.targets != nil && !p.targets[i] {
		return false
	}
	p.taken++
	return true
}

// next is want for the next page in sequence.
func (p *pageSelector) next() bool {
	i := p.index
	p.index++
	return p.want(i)
}

// list returns the selected page indexes of a document of count pages.
func (p *pageSelector) list(count int) []int {
	var out []int
	if p.targets == nil {
		for i := 0; i < count; i++ {
			if p.want(i) {
				out = append(out, i)
			}
		}
		return out
	}
	keys := make([]int, 0, len(p.targets))
	for k := range p.targets {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		if k >= 0 && k < count && p.want(k) {
			out = append(out, k)
		}
	}
	return out
}
