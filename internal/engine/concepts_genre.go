package engine

// genreSpecs are kinds of document, from general knowledge of what they
// look like in English, German, French, Dutch, Spanish and Italian.
// Triggers are how a rule's type name or description may name the kind;
// terms and cues are what a document of the kind shows.
var genreSpecs = []conceptSpec{
	{
		id: "invoice", label: "invoice", genre: true,
		triggers: `invoice*=1; bill=0.9; bills=0.9; billing=0.7; billed=0.6; tax invoice=1; commercial invoice=1;
			pro forma=0.8; proforma=0.8; request for payment=0.7; payment request=0.7; asking for payment=0.6;
			demand for payment=0.6; amount due=0.5; payment due=0.5; factur*=1; faktur*=1; rechnung*=1; *rechnung=1; *factuur=1; fattur*=1;
			nota fiscal=1; supplier=0.3; vendor=0.3; seller=0.3`,
		terms: `invoice*!=2; invoice number=1; invoice no=1; invoice date=1; bill to=1.5; billed to=1.2; sold to=0.8;
			ship to=0.4; due date=1.5; date due=1.2; payment due=1.2; due by=0.8; amount due=1.5; balance due=1.5;
			total due=1.2; please pay=1; payment terms=1; terms of payment=1; net 30=0.8; net 14=0.8; iban=1;
			bic=0.7; swift=0.7; bank details=0.8; bank account=0.6; account number=0.4; remit*=0.8;
			purchase order=0.4; po number=0.5; customer number=0.6; customer no=0.6; customer id=0.5;
			vat number=0.8; vat no=0.8; tax id=0.6; vat reg=0.6; unit price=0.8; subtotal=0.4; vat=0.5;
			rechnung*!=2; *rechnung!=1.5; rechnungsnummer=1; rechnungsdatum=1; zahlbar=1; zahlungsziel=1.2; fallig=0.8;
			zahlungsbedingungen=1; kundennummer=0.8; ust-idnr=1; steuernummer=0.6; leistungsdatum=0.8;
			lieferdatum=0.5; einzelpreis=0.8; nettobetrag=0.6; bruttobetrag=0.6; factur*!=2; *factuur!=1.5; numero de facture=1;
			date d'echeance=1; echeance=0.8; montant du=1; a payer=0.8; net a payer=0.8; prix unitaire=0.8;
			conditions de paiement=1; total ttc=1; ttc=0.6; ht=0.4; factuurnummer=1; factuurdatum=1;
			vervaldatum=1.2; te betalen=1; betalingstermijn=1; btw-nummer=0.8; fattur*!=2; scadenza=0.8;
			importe=0.4; vencimiento=0.8; fecha de vencimiento=1;
			cashier=-1; come again=-1; change=-0.4; tender*=-0.6; rounding=-0.5; cash sale*=-0.6; cash bill=-0.6`,
		cues: `price_lines=1; currency=0.6; total_line=0.8; tax_line=0.6; dates=0.3; label_value=0.3; qty_price=0.3; prose=-0.5;
			times=-0.3`,
	},
	{
		id: "receipt", label: "receipt", genre: true,
		triggers: `receipt*=1; till=0.8; till slip=1; till receipt=1; sales slip=1; cash register=0.8; point of sale=0.7;
			proof of purchase=0.9; cash sale=0.8; store receipt=1; kassenbon=1; kassenzettel=1; quittung=1; beleg=0.6;
			kassabon=1; bonnetje=1; ticket de caisse=1; recu=0.9; ricevuta=1; scontrino=1; recibo=1; slip=0.6;
			checkout=0.5; payment method=0.4; items bought=0.4; restaurant=0.4; store=0.3; shop=0.3; total paid=0.4;
			purchase=0.3; purchased=0.3`,
		terms: `receipt*!=2; cash=1; cashier=1.5; change=0.8; thank you=0.6; come again=1.5; tender*=1; visa=0.6;
			mastercard=0.6; master card=0.6; amex=0.6; debit=0.4; card=0.4; credit card=0.4; rounding=1; round adj*=1;
			qty=0.4; subtotal=0.6; sub total=0.6; tip=0.6; gratuity=0.8; table=0.3; server=0.4; guest*=0.3;
			terminal=0.6; approval=0.5; auth code=0.6; pos=0.6; member*=0.3; discount=0.4; no refund*=1; refundable=0.8;
			returnable=0.8; exchange=0.3; cash sale*=1; cash bill=1; kassenbon=2; kasse=1; bar=0.4; ruckgeld=1.2;
			gegeben=0.5; quittung=1.5; beleg*=0.8; bon=0.6; kassabon=2; wisselgeld=1.2; contant=0.8; pinnen=0.8;
			ticket=0.5; caisse=1; especes=0.8; rendu=0.8; merci=0.4; recu=1.2; recibo=1.5; efectivo=0.8; cambio=0.5;
			gracias=0.4; scontrino=2; contanti=0.8; resto=0.5; grazie=0.4; ricevuta=1.5;
			bill to=-1; due date=-0.8; payment terms=-0.8; iban=-0.6; amount due=-0.4; balance due=-0.4`,
		cues: `short_amounts=1; numeric=0.6; times=0.6; total_line=0.6; price_lines=0.5; upper_lines=0.4; qty_price=0.5; currency=0.3;
			long=-1.5; prose=-1`,
	},
	{
		id: "contract", label: "contract", genre: true,
		triggers: `contract*=1; agreement*=1; legal agreement=1; lease=0.9; rental agreement=1; nda=1; non-disclosure=1;
			terms and conditions=0.7; deed=0.7; covenant=0.6; memorandum of understanding=0.9; mou=0.8;
			vertrag*=1; *vertrag=1; vereinbarung*=1; contrat*=1; overeenkomst*=1; *overeenkomst=1; contrato*=1; contratto*=1; accord=0.6;
			signed by both=0.6; parties=0.5; clauses=0.5; legal=0.4; binding=0.5; obligations=0.3`,
		terms: `agreement*!=1.5; contract*!=1.2; this agreement=1.2; party=0.8; parties=1.2; hereby=1; whereas=1.2;
			hereinafter=1.2; herein=0.8; hereof=0.8; hereto=0.8; hereunder=1; thereof=0.6; shall=1; indemnif*=1;
			governing law=1.2; terminat*=0.6; in witness whereof=1.5; liabilit*=0.6; warrant*=0.6;
			effective date=0.8; confidential*=0.4; licensor=0.8; licensee=0.8; lessor=0.8; lessee=0.8;
			landlord=0.6; tenant=0.6; force majeure=1; arbitration=0.8; jurisdiction=0.6; entire agreement=1.2;
			amendment=0.5; notwithstanding=0.8; pursuant to=0.6; breach=0.7; covenant*=0.6; assigns=0.5;
			successors=0.6; vertrag*!=1.5; *vertrag!=1.5; vereinbarung*!=1.2; *vereinbarung!=1.2;
			im folgenden=1; vermieter=0.8; mieter=0.6; arbeitgeber=0.6; arbeitnehmer=0.6; schriftform=0.8;
			schlussbestimmungen=1; bestimmung*=0.4; vertragspartei*=1.2; parteien=1; kundigung*=0.6;
			haftung=0.6; gerichtsstand=1; salvatorische=1.2; contrat*!=1.5; ci-apres=0.8; resiliation=0.6;
			il est convenu=1; overeenkomst*!=1.5; *overeenkomst!=1.5; verhuurder=0.8; huurder=0.6;
			werkgever=0.6; werknemer=0.6; partijen=1.2; opzegging=0.6; hierna=0.6; contrato*!=1.5;
			las partes=1; clausula*=0.8; contratto*!=1.5; le parti=1; clausola=0.8`,
		cues: `clauses=0.8; defined_terms=0.8; signature_block=0.5; long=0.3; prose=0.3; checkboxes=-0.3; yes_no=-0.4;
			line_refs=-0.4`,
	},
	{
		id: "resume", label: "résumé", genre: true,
		triggers: `resume*=1; cv=1; cvs=1; curriculum vitae=1; curriculum=0.8; vitae=0.8; lebenslauf=1; *lebenslauf=1; biodata=0.8;
			job application=0.5; work experience=0.6; career=0.5; candidate=0.5; candidates=0.5; applicant=0.3;
			employment history=0.7; job seeker=0.7; professional profile=0.6; qualifications=0.3; skills=0.3;
			education=0.2`,
		terms: `resume!=1; curriculum vitae!=2; cv!=1; experience=0.6; work experience=1.2; professional experience=1.2;
			employment history=1.2; work history=1.2; education=0.8; skills=0.8; qualifications=0.5;
			professional summary=1.2; objective=0.4; certification*=0.4; accomplishments=0.6; achievements=0.4;
			responsibilities=0.3; responsible for=0.3; proficient=0.6; references available=1.2; upon request=0.4;
			bachelor*=0.4; degree=0.3; university=0.2; gpa=0.8; team player=0.8; present=0.3; lebenslauf!=2; *lebenslauf!=1.5;
			berufserfahrung=1.5; ausbildung=0.6; kenntnisse=0.6; personliche daten=1; experience professionnelle=1.5;
			competences=0.6; werkervaring=1.5; opleiding=0.6; vaardigheden=0.6; persoonlijke gegevens=1;
			experiencia laboral=1.5; experiencia profesional=1.5; habilidades=0.6; esperienza lavorativa=1.5;
			competenze=0.6`,
		cues: `resume_sections=1.5; date_ranges=1; bullets=0.3; contact_top=0.4; reported_speech=-0.3`,
	},
	{
		id: "email", label: "e-mail", genre: true,
		triggers: `email*=1; e-mail*=1; mail=0.8; mails=0.8; electronic mail=1; message=0.5; messages=0.5;
			correspondence=0.5; inbox=0.6; newsletter=0.5; memo=0.3; subject line=0.5; reply=0.4; forward=0.3;
			sender=0.4; recipient*=0.4; nachricht=0.5; courriel=1; correo=0.8`,
		terms: `subject=0.5; original message=1.5; forwarded message=1.5; forwarded=0.6; wrote=0.6; sent from my=1.5;
			regards=0.6; best regards=0.6; kind regards=0.6; thanks=0.5; thank you=0.3; dear=0.3; hi=0.5; hello=0.4;
			please let me know=0.8; let me know=0.6; attached=0.6; attachment*=0.6; cc=0.6; bcc=0.8;
			unsubscribe=0.8; email=0.5; e-mail=0.5; reply=0.5; fyi=0.8; asap=0.5; click here=0.6;
			mailing list=0.8; call me=0.5; following up=0.6; looking forward=0.4; mit freundlichen grussen=0.5;
			betreff=1; gesendet=0.8; weitergeleitete=1; objet=0.6; envoye=0.6; cordialement=0.6; onderwerp=1;
			verzonden=0.8; met vriendelijke groet=0.5; asunto=1; enviado=0.6; oggetto=0.8; inviato=0.6`,
		cues: `mail_headers=2; subject=1.5; reply=0.8; greeting=0.6; signoff=0.6; email_addresses=0.4; first_person=0.3`,
	},
	{
		id: "paper", label: "research paper", genre: true,
		triggers: `paper=0.8; papers=0.8; research paper=1; scientific paper=1; academic paper=1; scientific article=1;
			research article=1; journal article=1; conference paper=1; publication=0.7; scholarly=0.8; academic=0.6;
			scientific=0.7; science=0.5; research=0.6; study=0.4; thesis=0.8; dissertation=0.8; preprint=1; arxiv=1;
			peer-reviewed=0.8; peer reviewed=0.8; journal=0.6; proceedings=0.8; abstract=0.4; references=0.3;
			citations=0.3; wissenschaftlich*=0.8; forschung*=0.6; article scientifique=1; onderzoek*=0.6;
			wetenschappelijk*=0.8; articulo cientifico=1; investigacion=0.6; articolo scientifico=1; ricerca=0.6`,
		terms: `abstract=1; in this paper=1.5; this paper=1; we propose=1.2; we present=0.8; we show=0.8;
			our approach=0.8; our method=0.8; our results=0.8; related work=1.2; state of the art=0.6;
			experiment*=0.5; hypothes*=0.5; methodology=0.5; dataset*=0.5; et al=1.2; doi=1; arxiv=1.2;
			proceedings=1; journal=0.6; conference=0.5; ieee=0.8; acm=0.8; springer=0.5; elsevier=0.5;
			university=0.3; department of=0.4; institute=0.3; keywords=0.8; theorem=0.8; lemma=0.8; proof=0.4;
			corresponding author=1.2; acknowledg*=0.6; literature=0.4; empirical=0.5; significant*=0.2; fig=0.5;
			figure=0.3; eq=0.5; equation=0.5; algorithm=0.4; baseline*=0.4; evaluation=0.3; zusammenfassung=0.6;
			einleitung=0.6; literaturverzeichnis=1.2; wir zeigen=0.8; nous proposons=1; dans cet article=1.2;
			samenvatting=0.5; in dit artikel=1; resumen=0.5; en este articulo=1; in questo articolo=1`,
		cues: `citations=1.2; author_citations=1; references_heading=1.2; abstract_heading=1.2; doi=0.6;
			figures_tables=0.6; numbered_headings=0.4; paper_headings=0.8; long=0.3`,
	},
	{
		id: "news", label: "news article", genre: true,
		triggers: `news*=1; news article=1; news story=1; news report=1; newspaper*=0.9; press release=0.8; press=0.5;
			journalism=0.8; journalist*=0.6; reporter*=0.6; current events=0.7; current affairs=0.7; headline*=0.5;
			breaking=0.5; story=0.5; stories=0.5; article=0.5; articles=0.5; magazine=0.6; editorial=0.6;
			feature story=0.8; media=0.3; nachricht*=0.8; zeitung*=0.8; actualite*=0.8; nouvelles=0.8; nieuws*=1;
			krant*=0.8; noticia*=1; periodico=0.8; notizi*=1; giornale=0.6; reporting=0.4`,
		terms: `said=0.8; told=0.5; according to=0.6; spokesman=1; spokeswoman=1; spokesperson=1; reporters=0.6;
			press conference=0.8; reuters=1.5; associated press=1.5; afp=1; bbc=0.6; news=0.4; last week=0.4;
			last year=0.3; this week=0.3; yesterday=0.4; announced=0.5; officials=0.5; chief executive=0.6;
			analysts=0.6; per cent=0.6; percent=0.2; million=0.3; billion=0.4; minister=0.4; government=0.3;
			president=0.3; prime minister=0.6; election*=0.4; parliament=0.4; the company=0.3; shares=0.3;
			stock market=0.5; economy=0.3; interview=0.3; investors=0.3; profits=0.3; firm=0.2; takeover=0.4;
			scored=0.3; victory=0.3; defeat=0.3; striker=0.4; goalkeeper=0.4; referee=0.3; tournament=0.3;
			championship=0.3; coach=0.3; fans=0.2; album=0.3; box office=0.4; actor=0.2; actress=0.3; singer=0.3;
			election*=0.2; campaign=0.2; mps=0.4; lawmakers=0.4; sagte=0.8; laut=0.3; erklarte=0.5; a declare=0.6;
			selon=0.4; zei=0.8; volgens=0.4; dijo=0.8; segun=0.4; ha detto=0.6; secondo=0.3`,
		cues: `reported_speech=1.2; quotes=0.6; dateline=1.2; byline=0.8; headline=0.3; prose=0.3; names=0.6;
			resume_sections=-0.8; mail_headers=-1; checkboxes=-0.5; blank_fields=-0.5; references_heading=-0.5;
			citations=-0.5`,
	},
	{
		id: "form", label: "form", genre: true,
		triggers: `form=1; forms=1; application form=1; tax form=1; registration form=1; claim form=1; blank form=1;
			questionnaire*=1; survey=0.7; fill in=0.6; fill out=0.6; filled in=0.5; filled out=0.5; to be filled=0.6;
			fillable=0.8; formular*=1; *formular=1; formulaire*=1; formulier*=1; *formulier=1; formulario*=1; modulo=0.8; fields=0.4;
			checkbox*=0.4; check boxes=0.4; application=0.4; declaration=0.4; tax return=0.7`,
		terms: `form!=0.8; please print=1.2; print name=1; fill in=0.8; fill out=0.8; complete=0.3; completed=0.3;
			check=0.3; tick=0.5; if yes=0.8; if no=0.4; signature=0.5; date of birth=0.8; applicant=0.6;
			for official use=1.2; office use only=1.5; official use only=1.5; omb=1; attach=0.5; enter=0.4;
			instructions=0.6; social security number=0.8; ssn=0.6; zip code=0.4; do not write=1; block letters=1;
			capital letters=0.8; see instructions=1; check here=1; check if=0.6; formular*!=1.5; *formular!=1.2; ausfullen=1; ankreuzen=1; unterschrift=0.5;
			geburtsdatum=0.6; formulaire*!=1.5; cocher=1; remplir=1; date de naissance=0.6; formulier*!=1.5; *formulier!=1.2;
			invullen=1; aankruisen=1; geboortedatum=0.6; formulario*!=1.5; rellenar=1; fecha de nacimiento=0.6;
			modulo=1; compilare=1; data di nascita=0.6`,
		cues: `blank_fields=1; underscores=1; checkboxes=1.2; yes_no=0.6; label_value=0.3; leaders=0.6; line_refs=0.8`,
	},
	{
		id: "letter", label: "letter", genre: true,
		triggers: `letter*=1; cover letter=1; business letter=1; lettre=1; correspondence=0.4`,
		terms: `dear=1; sincerely=1; yours faithfully=1.2; yours sincerely=1.2; kind regards=0.6; sehr geehrte=1;
			mit freundlichen grussen=1; veuillez agreer=1.2; geachte=1; met vriendelijke groet=1; estimado=0.8;
			atentamente=1; gentile=0.8; distinti saluti=1; enclosed=0.6; enclosure=0.6`,
		cues: `greeting=1.2; signoff=1.2; prose=0.4; dates=0.3`,
	},
	{
		id: "bank_statement", label: "bank statement", genre: true,
		triggers: `bank statement=1; account statement=1; statement of account=1; statement=0.6; kontoauszug=1;
			releve de compte=1; releve=0.8; rekeningafschrift=1; afschrift=0.8; extracto=0.8; estratto conto=1`,
		terms: `opening balance=1.5; closing balance=1.5; statement period=1.2; account number=0.8; iban=0.6;
			balance=0.6; debit=0.5; credit=0.5; deposit*=0.5; withdrawal*=0.8; transaction*=0.5;
			available balance=1; kontoauszug=2; kontostand=1.2; saldo=0.8; solde=0.8; releve=1; afschrift=1`,
		cues: `dates=0.8; price_lines=0.8; amounts=0.5`,
	},
	{
		id: "payslip", label: "payslip", genre: true,
		triggers: `payslip*=1; pay slip=1; pay stub=1; paystub=1; salary slip=1; wage slip=1; earnings statement=1;
			gehaltsabrechnung=1; lohnabrechnung=1; bulletin de paie=1; fiche de paie=1; loonstrook=1; nomina=1;
			busta paga=1; payroll=0.7; salary=0.5; wage*=0.5`,
		terms: `gross pay=1.5; net pay=1.5; earnings=0.8; deductions=1; year to date=0.8; ytd=1; pay period=1.2;
			pay date=1; employee=0.5; employer=0.4; income tax=0.6; national insurance=0.8; hourly rate=0.8;
			overtime=0.6; brutto=1; netto=1; lohnsteuer=1; sozialversicherung=0.8; salaire brut=1.2; brutoloon=1;
			nettoloon=1; loonheffing=1`,
		cues: `price_lines=0.5; amounts=0.4`,
	},
	{
		id: "purchase_order", label: "purchase order", genre: true,
		triggers: `purchase order*=1; order form=0.6; bestellung=0.8; bon de commande=1; bestelbon=1; orden de compra=1;
			ordine di acquisto=1`,
		terms: `purchase order=2; po number=1.2; order date=0.8; ship to=0.6; deliver to=0.8; delivery date=0.6;
			requested by=0.6; approved by=0.5; buyer=0.5; vendor=0.5; bestellung=1.5; bestellnummer=1;
			bon de commande=2; bestelbon=2; orden de compra=2`,
		cues: `price_lines=0.6; total_line=0.4`,
	},
	{
		id: "quotation", label: "quotation", genre: true,
		triggers: `quotation*=1; quote=0.8; quotes=0.6; estimate*=0.8; price quote=1; offer=0.5; proposal=0.4;
			angebot=1; kostenvoranschlag=1; devis=1; offerte=1; presupuesto=1; preventivo=1`,
		terms: `quotation=2; quote=1; estimate=1; valid until=1.2; valid for=0.8; validity=0.8; prices valid=1;
			angebot=1.5; gultig bis=1.2; devis=1.5; valable=0.8; offerte=1.5; geldig tot=1.2; presupuesto=1.5;
			preventivo=1.5`,
		cues: `price_lines=0.6; total_line=0.4`,
	},
	{
		id: "delivery_note", label: "delivery note", genre: true,
		triggers: `delivery note=1; packing slip=1; packing list=1; dispatch note=1; delivery receipt=0.8;
			lieferschein=1; bon de livraison=1; pakbon=1; afleverbon=1; albaran=1; documento di trasporto=1;
			waybill=0.8; bill of lading=1; shipping=0.4; shipment=0.4`,
		terms: `delivery note=2; packing slip=2; delivered=0.6; shipped=0.5; qty shipped=1; received by=0.8;
			received in good condition=1; lieferschein=2; geliefert=0.6; bon de livraison=2; pakbon=2; albaran=2;
			tracking=0.5; carrier=0.5; consignee=1; shipper=0.8`,
		cues: `qty_price=0.4; signature_block=0.3`,
	},
	{
		id: "minutes", label: "meeting minutes", genre: true,
		triggers: `minutes=1; meeting minutes=1; meeting notes=0.9; protokoll=1; proces-verbal=1; notulen=1; acta=0.8;
			verbale=0.8; agenda=0.4; meeting=0.4`,
		terms: `minutes=1.2; attendees=1.5; apologies=1; action items=1.5; action item=1; agenda=0.8;
			next meeting=1.5; meeting=0.6; chair=0.6; chaired=0.8; motion=0.6; seconded=1.2; adjourned=1.2;
			called to order=1.5; protokoll=1.5; teilnehmer=1; tagesordnung=1.2; ordre du jour=1.2;
			participants=0.6; notulen=1.5; aanwezig=1; agendapunt=1; asistentes=1; orden del dia=1.2;
			verbale=1; presenti=0.8; ordine del giorno=1.2`,
		cues: `dates=0.3; bullets=0.3`,
	},
}
