// Package engine classifies document text against natural-language rules
// (type + description) with no model weights and no network: pure
// computation over the text, safe for concurrent use.
//
// How a decision is made:
//
//   - Text: the head and tail of the document (analyze.go) are normalised
//     (NFKC, case folding, accents stripped), split into words with the
//     Unicode word segmenter, the language is guessed from stop words and
//     words are stemmed with that language's Snowball stemmer (text.go).
//   - Structure: about fifty detectors (cues.go, detect.go) measure layout,
//     numbers and headings: price lines, totals, tax lines, dates, date
//     ranges, blank fields, checkboxes, mail headers, greetings, citations,
//     reference and abstract headings, numbered clauses, signature blocks,
//     résumé sections, datelines, reported speech, length...
//   - Concepts: a lexicon of general knowledge (lexicon.yaml) maps words a
//     rule may use ("bill", "till slip", "curriculum vitae", "signed by both
//     parties", "subject line") to concepts: kinds of document and aspects,
//     each shown in a document by multilingual vocabulary and structure cues
//     (a German or Dutch invoice shows the "invoice" concept to an English
//     rule). Concepts shared by several rules weigh less (IDF over the rule
//     set).
//   - Terms: every content word of the rule is also matched on stems, so a
//     rule about something the lexicon does not know ("recipe", "meeting
//     minutes") still works by its words.
//   - Examples (learn.go): labelled documents are kept as hashed term
//     vectors plus structure; the nearest examples of each type shift the
//     scores. A person's correction outranks everything.
//   - Decision (engine.go): the best rule wins if its evidence clears an
//     absolute threshold (MinEvidence) and the document is not plainly a
//     kind of document no rule asks for; otherwise no type. The confidence is
//     a logistic map of the winner's score and margin fitted on labelled
//     data (calibrate.go); the reasoning names the evidence and why the
//     runner-up lost (reason.go).
//
// The package owns no I/O: callers pass text (internal/classify extracts
// it) and persist the learned state through Save/Load.
package engine
