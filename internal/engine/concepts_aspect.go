package engine

// aspectSpecs are things a rule description may ask of a document ("with
// line items", "signed by both parties", "a subject line") and how a
// document shows them.
var aspectSpecs = []conceptSpec{
	{id: "dates", weak: true, label: "dates",
		triggers: `date=1; dates=1; dated=1; datum=1; fecha=1; data=0.5`,
		cues:     `dates=1`, scale: 1},
	{id: "line_items", label: "line items",
		triggers: `line items=1; line item=1; itemized=1; itemised=1; items=0.8; item=0.6; items bought=1;
			items purchased=1; products=0.6; goods=0.6; quantities=0.8; quantity=0.8; positions=0.5; articles=0.3;
			services rendered=0.6`,
		terms: `qty=0.6; quantity=0.6; unit price=0.8; item*=0.3; menge=0.6; anzahl=0.5; einzelpreis=0.8; stuck=0.4;
			quantite=0.6; prix unitaire=0.8; aantal=0.6; stuksprijs=0.8; cantidad=0.6; precio unitario=0.8;
			quantita=0.6; prezzo unitario=0.8`,
		cues: `price_lines=1; qty_price=0.5; amounts=0.3`},
	{id: "prices", label: "prices",
		triggers: `price=1; prices=1; priced=0.8; cost=0.8; costs=0.8; amount=0.6; amounts=0.6; money=0.6; fee=0.6;
			fees=0.6; charges=0.6; charged=0.6; paid=0.4; payment=0.4; payments=0.4`,
		terms: `price*=0.5; preis*=0.5; prix=0.5; prijs=0.5; precio=0.5; prezzo=0.5`,
		cues:  `amounts=1; currency=0.7; price_lines=0.5`},
	{id: "tax", label: "taxes",
		triggers: `tax=1; taxes=1; taxed=1; vat=1; gst=1; sales tax=1; mwst=1; ust=1; btw=1; tva=1; iva=1; steuer*=1;
			taxe*=1; impuesto*=1; impost*=1`,
		terms: `vat=0.8; gst=0.8; tax=0.6; mwst=0.8; ust=0.6; btw=0.8; tva=0.8; iva=0.8; sales tax=0.8; steuer*=0.5;
			umsatzsteuer=0.8; mehrwertsteuer=0.8; tax id=0.4; vat number=0.6; taxe*=0.5; impuesto*=0.5; imposta=0.5`,
		cues: `tax_line=1`},
	{id: "total", label: "total",
		triggers: `total=1; totals=1; total amount=1; grand total=1; sum=0.8; amount due=0.6; total paid=1; balance=0.5;
			subtotal=0.8; gesamt*=1; summe=1; totaal=1; montant=0.8; importe=0.8; totale=0.8`,
		terms: `total=0.6; grand total=0.8; subtotal=0.5; summe=0.6; gesamt*=0.5; totaal=0.6; montant total=0.6;
			importe total=0.6; totale=0.5`,
		cues: `total_line=1`},
	{id: "payment_due", label: "payment requested",
		triggers: `amount due=1; payment due=1; due date=1; asking for payment=1; request for payment=1;
			requesting payment=1; pay by=0.8; payable=0.8; outstanding=0.7; balance due=1; payment terms=1;
			owed=0.8; owes=0.8; to be paid=0.8; due=0.6`,
		terms: `amount due=1; balance due=1; due date=1; payment terms=0.8; payable=0.6; please pay=0.8; pay by=0.6;
			iban=0.6; bic=0.4; swift=0.4; bank transfer=0.6; wire transfer=0.6; remit*=0.6; zahlbar=0.8;
			zahlungsziel=0.8; fallig=0.6; te betalen=0.8; vervaldatum=0.8; betalingstermijn=0.8; montant du=0.8;
			a payer=0.6; echeance=0.6; vencimiento=0.6; scadenza=0.6; overdue=0.6`},
	{id: "payment_method", label: "payment method",
		triggers: `payment method=1; method of payment=1; paid by=0.8; paid with=0.8; paid in cash=1; cash=0.8; card=0.6;
			credit card=0.8; how it was paid=1; tender=0.8; total paid=0.5; amount paid=0.5; paid=0.3`,
		terms: `cash=0.8; card=0.5; visa=0.6; mastercard=0.6; master card=0.6; amex=0.6; maestro=0.6; debit=0.4;
			credit card=0.6; change=0.6; tender*=0.8; auth code=0.6; approval code=0.6; contactless=0.6; apple pay=0.6;
			paypal=0.4; bargeld=0.8; bar=0.3; ec-karte=0.8; girocard=0.8; kreditkarte=0.8; ruckgeld=0.8;
			carte bancaire=0.8; especes=0.8; rendu=0.6; pinpas=0.8; pin=0.3; contant=0.8; wisselgeld=0.8;
			efectivo=0.8; tarjeta=0.6; contanti=0.8; carta=0.3; bancomat=0.8`},
	{id: "short", weak: true, label: "short",
		triggers: `short=1; brief=0.8; small=0.6; single page=1; one page=1; one-page=1; concise=0.8; compact=0.6;
			a few lines=1; kurz=1; court=0.8; kort=1; corto=1; breve=0.8`,
		cues: `short=1`, scale: 0.8},
	{id: "long", weak: true, label: "long",
		triggers: `long=1; lengthy=1; many pages=1; multi-page=1; multiple pages=1; several pages=1; extensive=0.6`,
		cues:     `long=1`, scale: 0.8},
	{id: "signature", label: "signatures",
		triggers: `signature*=1; signed=1; sign=0.8; signing=0.8; signatories=1; signatory=1; unterschrift*=1;
			unterzeichnet=1; handtekening*=1; ondertekend=1; firma*=0.8; firmado=1; firmato=1`,
		terms: `signature*=0.6; signed=0.5; in witness whereof=1; signatory=0.6; unterschrift*=0.6; handtekening=0.6;
			firma=0.4`,
		cues: `signature_block=1`},
	{id: "parties", label: "parties",
		triggers: `party=1; parties=1; counterpart*=0.8; between=0.3; partei*=1; partie*=0.8; partij*=1; partes=1; parti=0.8`,
		terms: `party=0.6; parties=0.8; by and between=1; partei*=0.6; partij*=0.6; las partes=0.6; le parti=0.6;
			licensor=0.5; licensee=0.5; lessor=0.5; lessee=0.5; landlord=0.4; tenant=0.4; contractor=0.4`},
	{id: "clauses", label: "clauses",
		triggers: `clause*=1; terms=0.6; terms and conditions=1; conditions=0.5; provisions=1; provision=0.8;
			articles=0.4; stipulations=1; klausel*=1; bestimmung*=0.8; bepaling*=1; clausula*=1; clausola*=1`,
		terms: `clause*=0.5; provision*=0.5; hereby=0.5; herein=0.4; thereof=0.3; hereto=0.4; hereunder=0.5;
			whereas=0.6; notwithstanding=0.5; pursuant to=0.4; subject to=0.2; klausel*=0.5; bestimmung*=0.4;
			bepaling*=0.5; clausula*=0.5; clausola*=0.5`,
		cues: `clauses=1; defined_terms=0.5`},
	{id: "obligations", label: "obligations",
		triggers: `obligation*=1; duties=0.8; duty=0.6; binding=0.8; liabilit*=0.8; responsibilit*=0.5; commitments=0.6;
			verpflichtung*=1; pflichten=1; obligations=1; verplichting*=1; obligacion*=1; obblig*=1`,
		terms: `shall=0.8; obligation*=0.6; oblig*=0.4; liabilit*=0.5; liable=0.5; indemnif*=0.6; warrant*=0.4;
			covenant*=0.4; comply=0.3; verpflicht*=0.6; haft*=0.4; verplicht*=0.6; aansprakelijk*=0.5;
			responsabilite=0.4; responsabilidad=0.4`},
	{id: "legal", label: "legal language",
		triggers: `legal=1; legally=1; law=0.8; lawful=0.8; juridical=1; statutory=0.8; rechtlich*=1; juridique*=1;
			juridisch*=1; legale=0.8; juridico=1`,
		terms: `governing law=1; jurisdiction=0.6; court*=0.4; arbitration=0.6; law=0.3; laws=0.4; statute*=0.4;
			applicable law=0.8; gerichtsstand=0.8; recht=0.3; droit applicable=0.8; tribunal*=0.4; rechtbank=0.6;
			toepasselijk recht=0.8; ley=0.3; legge=0.3`},
	{id: "work_experience", label: "work experience",
		triggers: `experience=1; work experience=1; employment history=1; employment=0.8; career=0.8; work history=1;
			job history=1; jobs=0.6; positions held=1; roles=0.4; berufserfahrung=1; experience professionnelle=1;
			werkervaring=1; experiencia=1; esperienza=1`,
		terms: `experience=0.5; employer=0.4; responsible for=0.4; responsibilities=0.4; managed=0.2; years of experience=0.6;
			position=0.2; berufserfahrung=0.8; werkervaring=0.8`,
		cues: `date_ranges=1; resume_sections=0.5`},
	{id: "skills", label: "skills",
		triggers: `skill*=1; competenc*=1; abilities=0.8; expertise=0.8; proficienc*=1; kenntnisse=1; fahigkeiten=1;
			competences=1; vaardigheden=1; habilidades=1; competenze=1`,
		terms: `skills=0.8; skill=0.6; proficient=0.6; proficiency=0.6; competenc*=0.6; expertise=0.4; familiar with=0.4;
			kenntnisse=0.6; fahigkeiten=0.6; competences=0.6; vaardigheden=0.6; habilidades=0.6; competenze=0.6`},
	{id: "education", label: "education",
		triggers: `education=1; educational=1; degree*=0.8; diploma*=0.8; studies=0.5; schooling=1; academic background=1;
			ausbildung=1; studium=0.8; formation=0.6; opleiding=1; educacion=1; formacion=0.8; istruzione=1`,
		terms: `education=0.8; university=0.4; college=0.4; degree=0.4; bachelor*=0.5; master*=0.3; diploma=0.4;
			high school=0.5; graduated=0.5; gpa=0.6; mba=0.5; phd=0.3; ausbildung=0.6; universitat=0.4;
			hochschule=0.4; universite=0.4; diplome=0.4; universiteit=0.4; hogeschool=0.4; universidad=0.4;
			licenciatura=0.5; universita=0.4; laurea=0.5`},
	{id: "personal", label: "personal details",
		triggers: `person=0.6; person's=0.8; persons=0.5; individual=0.5; individual's=0.8; personal=0.6; applicant=0.5;
			candidate=0.6; job seeker=0.8; someone's=0.8; his or her=0.5`,
		terms: `date of birth=0.6; nationality=0.6; marital status=0.8; address=0.2; phone=0.2; linkedin=0.8`,
		cues:  `contact_top=0.8; first_person=0.3`},
	{id: "subject_line", label: "subject line",
		triggers: `subject line=1; subject=0.8; subject lines=1; betreff=1; objet=0.8; onderwerp=1; asunto=1; oggetto=1`,
		cues:     `subject=1`, scale: 1},
	{id: "recipients", label: "addressed to people",
		triggers: `written to=0.8; addressed to=0.8; recipient*=1; one or more people=1; sent to=0.8; sent by=0.6;
			sender=0.8; to one or more=0.8; correspondence=0.6; between people=0.8; colleagues=0.5`,
		terms: `dear=0.4; hi=0.4; hello=0.4; cc=0.5; regards=0.4`,
		cues:  `mail_headers=0.8; greeting=0.8; signoff=0.5; email_addresses=0.4`},
	{id: "reply_forward", label: "reply or forward",
		triggers: `reply=1; replies=1; replying=1; forward*=1; fwd=1; thread=0.8; conversation=0.6; responses=0.6;
			response=0.5; antwort=1; weitergeleitet*=1; reponse=1; transfere=1; antwoord=1; doorgestuurd=1;
			respuesta=1; reenviado=1; risposta=1; inoltrato=1`,
		terms: `original message=1; forwarded=0.8; wrote=0.6; re=0.4; fw=0.6; fwd=0.8`,
		cues:  `reply=1; subject=0.3`},
	{id: "greeting", label: "greeting and sign-off",
		triggers: `greeting*=1; salutation*=1; sign-off=1; signoff=1; dear=0.8; letter*=0.4; closing=0.4`,
		cues:     `greeting=1; signoff=1`},
	{id: "title", weak: true, label: "title",
		triggers: `title=1; titled=1; heading=0.6; headline*=0.8; titel=1; titre=1; titulo=1; titolo=1`,
		cues:     `headline=0.6; numbered_headings=0.2`, scale: 1},
	{id: "authors", label: "authors",
		triggers: `author*=1; written by=0.8; byline=1; writers=0.8; autor*=1; auteur*=1`,
		terms: `et al=0.6; university=0.4; department=0.3; institute=0.4; corresponding author=1; affiliation*=0.6;
			universitat=0.4; universite=0.4; universiteit=0.4; universidad=0.4; universita=0.4`,
		cues: `byline=0.6; email_addresses=0.3`},
	{id: "abstract", label: "abstract",
		triggers: `abstract=1; abstracts=1; zusammenfassung=1; samenvatting=1; resumen=0.8; riassunto=1; sommario=0.8`,
		terms:    `abstract=0.8; keywords=0.6; zusammenfassung=0.6; samenvatting=0.6`,
		cues:     `abstract_heading=1`, scale: 1},
	{id: "sections", label: "sections",
		triggers: `sections=1; section=0.8; chapters=1; chapter=0.8; headings=0.8; structured=0.5; abschnitt*=1;
			kapitel=1; hoofdstuk*=1; secciones=1; capitoli=1; sezioni=1`,
		cues: `numbered_headings=1; paper_headings=0.6`},
	{id: "references", label: "references",
		triggers: `references=1; reference list=1; citations=1; citation=1; cited=0.8; cites=0.8; citing=0.8;
			bibliography=1; sources=0.6; footnotes=0.8; literatur*=0.8; referenzen=1; bibliographie=1;
			referenties=1; bibliografia=1; riferimenti=1; referencias=1`,
		terms: `references=0.6; bibliography=0.8; et al=0.8; doi=0.6; proceedings=0.5; journal=0.3; vol=0.3; pp=0.5`,
		cues:  `references_heading=1; citations=1; author_citations=0.8; doi=0.5`},
	{id: "research", label: "research",
		triggers: `research=1; study=0.8; studies=0.8; experiment*=1; scientific=1; academic=1; scholarly=1; findings=1;
			methodology=1; peer-reviewed=1; hypothes*=1; empirical=1; forschung*=1; wissenschaft*=1; recherche*=0.8;
			onderzoek*=1; investigacion=1; ricerca=1; science=0.8; university=0.5`,
		terms: `we propose=1; in this paper=1; this paper=0.6; our results=0.6; experiment*=0.5; hypothes*=0.5;
			methodology=0.5; dataset*=0.4; state of the art=0.5; evaluation=0.3; significant*=0.2; proceedings=0.5;
			journal=0.3; conference=0.3; university=0.3; analysis=0.2; model*=0.2; results=0.2; theorem=0.6;
			lemma=0.6; we show=0.6; our approach=0.6; related work=0.8; forschung=0.4; studie=0.3; etude=0.3;
			onderzoek=0.4; investigacion=0.4; ricerca=0.4`,
		cues: `paper_headings=1; figures_tables=0.7`},
	{id: "reporting", label: "news reporting",
		triggers: `current events=1; current affairs=1; reporting=1; reports on=1; reported=0.6; news=0.8; happening=0.6;
			events=0.5; press=0.6; journalism=1; journalistic=1; journalist*=1; breaking=0.8; headlines=0.8;
			coverage=0.6; covering=0.5`,
		terms: `said=0.5; told=0.4; according to=0.5; announced=0.4; officials=0.4; spokesman=0.6; spokeswoman=0.6;
			last week=0.3; yesterday=0.3; this week=0.3; reporters=0.4; press conference=0.6`,
		cues: `reported_speech=1; dateline=0.7; weekdays=0.4; quotes=0.4`},
	{id: "news_topics", label: "news topics",
		triggers: `politics=1; political=1; sport=1; sports=1; business=0.6; economy=1; economic=0.8; finance=0.6;
			financial=0.5; entertainment=1; celebrity=1; celebrities=1; technology=0.6; tech=0.6; world=0.5;
			culture=0.6; health=0.4; science=0.3; markets=0.8; elections=1`,
		terms: `government=0.4; minister=0.5; election*=0.5; parliament=0.5; party=0.1; vote*=0.3; president=0.3;
			policy=0.2; market*=0.3; shares=0.4; profit*=0.4; economy=0.4; growth=0.2; firm=0.3; sales=0.2;
			investors=0.4; chief executive=0.4; stock*=0.2; deal=0.2; takeover=0.5; merger=0.4; inflation=0.4;
			interest rates=0.4; unemployment=0.4; match=0.3; team=0.2; players=0.4; coach=0.4; manager=0.1;
			season=0.3; championship=0.5; league=0.4; cup=0.3; tournament=0.4; final=0.2; scored=0.5; goal=0.3;
			goals=0.4; victory=0.4; defeat=0.4; win=0.2; won=0.3; draw=0.2; striker=0.6; midfielder=0.6;
			goalkeeper=0.6; referee=0.5; penalty=0.3; fans=0.3; stadium=0.5; olympic*=0.5; medal=0.4; race=0.2;
			film=0.4; music=0.3; album=0.5; singer=0.5; band=0.3; star=0.3; actor=0.4; actress=0.5; award*=0.3;
			box office=0.6; festival=0.3; director=0.1; chart=0.3; tv=0.3; show=0.1; technology=0.3; software=0.2;
			internet=0.3; users=0.2; online=0.2; digital=0.2; mobile=0.2; broadband=0.4; gadget*=0.4`},
	{id: "quotes", label: "quotations",
		triggers: `quote=0.6; quotes=1; quotation=0.8; quotations=1; interview*=1; statements=0.6; quoted=1`,
		cues:     `quotes=1; reported_speech=0.5`},
	{id: "fields", label: "fields to fill in",
		triggers: `field=0.8; fields=1; fill in=1; fill out=1; filled in=1; filled out=1; to be filled=1; to complete=0.8;
			to be completed=1; blank=0.8; blanks=1; entries=0.6; spaces=0.6; fillable=1; input=0.5; ausfull*=1;
			felder=1; remplir=1; champs=1; invullen=1; velden=1; rellenar=1; campos=1; compilare=1; campi=1`,
		terms: `fill in=0.6; fill out=0.6; please print=0.8; print name=0.6; enter=0.3; ausfullen=0.6; remplir=0.6;
			invullen=0.6; rellenar=0.6; compilare=0.6`,
		cues: `blank_fields=1; underscores=1; label_value=0.3; leaders=0.5; line_refs=0.5`},
	{id: "checkboxes", label: "checkboxes",
		triggers: `checkbox*=1; check box*=1; check-box*=1; boxes=0.8; box=0.6; tick=1; ticks=1; tick box*=1;
			check mark*=1; checkmark*=1; multiple choice=1; options=0.4; kastchen=1; ankreuz*=1; cases a cocher=1;
			cocher=1; hokjes=1; aankruis*=1; casillas=1; casella=1`,
		terms: `check=0.3; tick=0.5; check here=0.8; check one=0.8; check all that apply=1; if yes=0.6; if no=0.5; ankreuzen=0.6;
			cocher=0.6; aankruisen=0.6; marque=0.2; barrare=0.5`,
		cues: `checkboxes=1; yes_no=0.7`},
	{id: "government", label: "official/government",
		triggers: `government=1; governmental=1; official=0.8; agency=0.8; authority=0.8; authorities=0.8;
			administration=0.6; public administration=1; municipal=0.8; municipality=0.8; federal=0.8; state=0.3;
			irs=1; revenue service=1; tax authority=1; ministry=0.8; council=0.4; behorde*=1; amt=0.6; gemeente=1;
			overheid=1; administration fiscale=1; gobierno=1; governo=1`,
		terms: `department of=0.5; department=0.3; agency=0.4; internal revenue=1; irs=0.8; federal=0.4; government=0.4;
			ministry=0.5; authority=0.3; for official use=0.8; office use only=0.8; omb=0.8; bundes*=0.4;
			finanzamt=0.8; ministere=0.5; administration=0.3; gemeente=0.6; belastingdienst=0.8; ministerie=0.5;
			ministerio=0.5; ministero=0.5; social security=0.4; treasury=0.6`},
	{id: "application", label: "application/request",
		triggers: `application=1; applications=1; apply=0.8; applying=0.8; applicant=0.8; request=0.6; requests=0.6;
			claim=0.8; claims=0.6; registration=0.8; enrolment=0.8; enrollment=0.8; petition=0.8; antrag=1; demande=0.8;
			aanvraag=1; solicitud=1; domanda=1; richiesta=0.8`,
		terms: `application=0.6; applicant=0.6; apply=0.3; request=0.3; claim=0.4; registration=0.4; antrag=0.6;
			antragsteller=0.6; demande=0.4; aanvraag=0.6; solicitud=0.6; domanda=0.4; richiesta=0.4`},
	{id: "seller", label: "seller details",
		triggers: `seller=1; sellers=1; vendor=1; vendors=1; supplier=1; suppliers=1; merchant=0.8; provider=0.6;
			service provider=0.8; issuer=0.6; company=0.4; lieferant=1; verkaufer=1; fournisseur=1;
			vendeur=1; leverancier=1; verkoper=1; proveedor=1; vendedor=1; fornitore=1; venditore=1`,
		terms: `supplier=0.5; vendor=0.5; seller=0.5; sold by=0.6; bill to=0.5; inc=0.2; ltd=0.3; llc=0.3; gmbh=0.4;
			vat number=0.5; tax id=0.4; lieferant=0.5; fournisseur=0.5; leverancier=0.5; proveedor=0.5; fornitore=0.5`,
		cues: `label_value=0.3; phones=0.3`},
	{id: "store", label: "shop or restaurant",
		triggers: `store=1; stores=1; shop=1; shops=1; shopping=1; restaurant*=1; cafe=1; supermarket*=1; retail*=1;
			point of sale=1; diner=0.8; grocery=1; groceries=1; outlet=0.6; pharmacy=0.8; gas station=1;
			petrol station=1; geschaft=1; laden=0.8; magasin=1; winkel=1; tienda=1; negozio=1`,
		terms: `store=0.5; shop=0.5; restaurant=0.6; cafe=0.5; market=0.3; mart=0.5; supermarket=0.6; bakery=0.5;
			pharmacy=0.5; outlet=0.4; cashier=0.6; thank you=0.3; come again=0.8; welcome=0.3; table=0.2;
			server=0.2; geschaft=0.4; magasin=0.5; winkel=0.5; tienda=0.5; negozio=0.5`,
		cues: `short_amounts=0.5; times=0.5`},
	{id: "purchase", label: "purchase",
		triggers: `purchase*=1; bought=1; buy=0.8; buying=0.8; order*=0.5; sold=0.6; sale=0.6; sales=0.5; kauf*=1;
			achat*=1; aankoop=1; compra=1; acquisto=1`,
		terms: `purchase*=0.4; thank you for=0.4; your order=0.4; order=0.2; bought=0.4; sale=0.2; kauf=0.4;
			achat=0.4; aankoop=0.4; compra=0.4; acquisto=0.4`,
		cues: `qty_price=0.5; price_lines=0.3`},
}
