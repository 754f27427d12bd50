package engine

import "strings"

// Word lists of the structure detectors: general knowledge of how documents
// are laid out in English, German, French, Dutch, Spanish and Italian. All
// entries are folded (lower case, no accents); a trailing '*' matches a
// word prefix.

var totalWords = []string{"total", "subtotal", "sub-total", "sub total", "grand total", "sum", "summe",
	"gesamt*", "endbetrag", "totaal", "montant", "importe", "totale", "bedrag", "te betalen",
	"amount due", "balance due", "zu zahlen", "a payer", "net a payer", "saldo", "betrag"}

var taxWords = []string{"vat", "tax", "taxes", "gst", "hst", "pst", "mwst", "ust", "btw", "tva", "iva",
	"steuer", "umsatzsteuer", "mehrwertsteuer", "taxe", "impuesto", "imposta", "moms", "sales tax"}

var phoneWords = []string{"tel", "tel.", "phone", "telephone", "fax", "mobile", "telefon", "telefoon",
	"telefono", "cell", "hp", "mob"}

var currencyCodes = []string{"usd", "eur", "gbp", "chf", "jpy", "cad", "aud", "nzd", "rm", "myr", "sgd",
	"inr", "sek", "nok", "dkk", "pln", "czk", "huf", "zar", "hkd", "cny", "rmb", "idr", "thb", "php", "brl",
	"mxn", "dollars", "euro", "euros", "eur.", "rs", "rs."}

var monthWords = []string{"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
	"sept", "oct", "nov", "dec", "januar", "februar", "marz", "mai", "juni", "juli", "oktober", "dezember",
	"janvier", "fevrier", "mars", "avril", "juin", "juillet", "aout", "septembre", "octobre", "novembre",
	"decembre", "januari", "februari", "maart", "mei", "augustus", "enero", "febrero", "marzo", "abril",
	"mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre", "gennaio",
	"febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre", "dicembre"}

var presentWords = []string{"present", "current", "currently", "now", "today", "date", "ongoing",
	"heute", "aktuell", "jetzt", "aujourd'hui", "ce jour", "actuel", "heden", "nu", "huidig",
	"actualidad", "presente", "actual", "oggi", "attuale"}

var (
	yesSet = newWordSet("yes", "ja", "oui", "si")
	noSet  = newWordSet("no", "nein", "non", "nee")
)

// mailHeaderKeys maps the header names of mail clients in several languages
// to a canonical key.
var mailHeaderKeys = map[string]string{
	"from": "from", "von": "from", "de": "from", "van": "from", "da": "from", "sender": "from",
	"to": "to", "an": "to", "a": "to", "aan": "to", "para": "to", "recipient": "to", "recipients": "to",
	"cc": "cc", "bcc": "cc", "kopie": "cc", "copie": "cc",
	"subject": "subject", "betreff": "subject", "objet": "subject", "onderwerp": "subject",
	"asunto": "subject", "oggetto": "subject", "re": "subject", "subj": "subject",
	"sent": "sent", "gesendet": "sent", "envoye": "sent", "verzonden": "sent", "enviado": "sent",
	"inviato": "sent", "date": "sent", "datum": "sent", "fecha": "sent", "data": "sent",
	"reply-to": "from", "message-id": "sent", "x-mailer": "sent", "attachments": "cc", "anlagen": "cc",
}

var replyPhrases = []string{"original message", "forwarded message", "begin forwarded", "wrote:",
	"schrieb:", "a ecrit", "schreef", "escribio:", "ha scritto", "urspr\u00fcngliche nachricht",
	"ursprungliche nachricht", "message d'origine", "oorspronkelijk bericht", "mensaje original",
	"messaggio originale", "fw:", "fwd:"}

var greetingWords = []string{"dear", "hi", "hello", "hey", "good morning", "good afternoon", "greetings",
	"hallo", "sehr geehrte", "liebe", "lieber", "guten tag", "bonjour", "madame", "monsieur", "cher",
	"chere", "beste", "geachte", "hoi", "hola", "estimado", "estimada", "buenos dias", "caro", "cara",
	"gentile", "buongiorno", "salve", "all,", "team,", "folks"}

var signoffWords = []string{"regards", "best regards", "kind regards", "warm regards", "best wishes",
	"sincerely", "yours sincerely", "yours truly", "yours faithfully", "thanks", "thank you", "many thanks",
	"cheers", "best", "mit freundlichen", "viele grusse", "beste grusse", "gruss", "lg", "cordialement",
	"bien a vous", "salutations", "bien cordialement", "met vriendelijke groet", "groeten", "groet",
	"saludos", "atentamente", "un saludo", "cordiali saluti", "distinti saluti", "saluti", "ciao", "thx"}

var refsHeadings = setOf("references", "reference list", "bibliography", "literature cited", "works cited",
	"literature", "references and notes", "citations", "literatur", "literaturverzeichnis", "quellen",
	"references bibliographiques", "bibliographie", "referenties", "literatuur", "literatuurlijst",
	"referencias", "bibliografia", "riferimenti", "riferimenti bibliografici")

var paperHeadings = setOf("introduction", "related work", "related works", "background", "method", "methods",
	"methodology", "materials and methods", "experiments", "experimental setup", "experimental results",
	"results", "discussion", "results and discussion", "conclusion", "conclusions", "evaluation",
	"future work", "conclusion and future work", "conclusions and future work", "acknowledgments",
	"acknowledgements", "acknowledgment", "appendix", "preliminaries", "problem formulation",
	"limitations", "einleitung", "fazit", "schlussfolgerung", "methodik", "ergebnisse", "inleiding",
	"conclusie", "methode", "resultaten", "introduccion", "conclusiones", "metodologia", "resultados",
	"introduzione", "conclusioni", "risultati", "related literature", "literature review")

// resumeHeadings maps résumé section headings to their group.
var resumeHeadings = func() map[string]string {
	m := map[string]string{}
	add := func(group string, hs ...string) {
		for _, h := range hs {
			m[h] = group
		}
	}
	add("experience", "experience", "work experience", "professional experience", "employment",
		"employment history", "work history", "career history", "relevant experience", "career",
		"professional background", "berufserfahrung", "werdegang", "beruflicher werdegang",
		"experience professionnelle", "experiences professionnelles", "werkervaring", "ervaring",
		"experiencia", "experiencia laboral", "experiencia profesional", "esperienza",
		"esperienze lavorative", "esperienza lavorativa", "experience history")
	add("education", "education", "education and training", "academic background", "academic qualifications",
		"educational background", "training", "ausbildung", "bildungsweg", "studium", "formation",
		"opleiding", "opleidingen", "educacion", "formacion", "formacion academica", "istruzione",
		"formazione", "education & training")
	add("skills", "skills", "technical skills", "core competencies", "competencies", "key skills",
		"skill highlights", "areas of expertise", "expertise", "kenntnisse", "fahigkeiten", "kompetenzen",
		"competences", "vaardigheden", "competenties", "habilidades", "competencias", "competenze",
		"computer skills", "languages", "sprachen", "langues", "talen", "idiomas", "lingue")
	add("summary", "summary", "professional summary", "profile", "professional profile", "objective",
		"career objective", "career overview", "executive summary", "personal statement", "profil",
		"profiel", "perfil", "profilo", "about me", "personal information", "personal details",
		"persoonlijke gegevens", "personliche daten")
	add("other", "certifications", "certificates", "accomplishments", "achievements", "awards",
		"honors", "projects", "interests", "hobbies", "volunteer", "volunteer experience", "publications",
		"affiliations", "activities", "highlights", "qualifications", "references available upon request",
		"interessen", "hobby's", "centres d'interet", "intereses", "interessi")
	return m
}()

var abstractWords = []string{"abstract", "zusammenfassung", "samenvatting", "resumen", "riassunto", "sommario", "summary:"}

var clauseStarts = []string{"section ", "article ", "clause ", "artikel ", "article ", "articolo ",
	"articulo ", "paragraph ", "sec. ", "art. "}

var signatureWords = []string{"signature", "signed", "sign here", "by:", "name:", "title:", "witness",
	"authorized", "authorised", "in witness whereof", "unterschrift", "unterzeichnet", "handtekening",
	"ondertekend", "firma", "fait a", "done at", "signe", "datum/unterschrift", "place and date"}

var saidWords = []string{"said", "says", "told", "stated", "added", "announced", "spokesman",
	"spokeswoman", "spokesperson", "sagte", "sagt", "erklarte", "betonte", "zei", "aldus", "dijo",
	"afirmo", "declaro", "detto", "dichiarato"}

var weekdays = setOf("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "lundi", "mardi",
	"mercredi", "jeudi", "vendredi", "samedi", "dimanche", "maandag", "dinsdag", "woensdag", "donderdag",
	"vrijdag", "zaterdag", "zondag", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado",
	"domingo", "lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "sabato", "domenica")

var agencyTags = []string{"(reuters)", "(ap)", "(afp)", "(dpa)", "(upi)", "(bloomberg)", "(ani)", "(pti)",
	"(xinhua)", "(efe)", "(ansa)", "(anp)", "(belga)", "(cnn)"}

var bylineStarts = []string{"By ", "BY ", "Von ", "Par ", "Door ", "Por ", "Di "}

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[strings.TrimSpace(w)] = true
	}
	return m
}

// Compiled forms of the lists above.
var (
	totalSet     = newWordSet(totalWords...)
	taxSet       = newWordSet(taxWords...)
	phoneSet     = newWordSet(phoneWords...)
	currencySet  = newWordSet(currencyCodes...)
	monthSet     = newWordSet(monthWords...)
	presentSet   = newWordSet(presentWords...)
	signatureSet = newWordSet(signatureWords...)
	rangeSepSet  = newWordSet("to", "until", "bis", "tot", "au", "hasta", "al")
	qtySet       = newWordSet("qty", "quantity", "menge", "qte", "aantal", "cantidad", "quantita")
)
