package engine

import "strings"

// Stop words per language, folded (no accents). They serve two purposes:
// they are dropped before term matching, and counting them identifies the
// language of a document.
var stopWordLists = map[string]string{
	"en": `a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your yours
yourself yourselves may might must shall us etc per via within without upon`,
	"de": `aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
auch auf aus bei bin bis bist da damit dann das dass dein deine dem den denn der des dessen deshalb die
dies diese diesem diesen dieser dieses doch dort du durch ein eine einem einen einer eines er es etwas
euch euer fur gegen gewesen hab habe haben hat hatte hier hin hinter ich ihr ihre im in ist jede jedem
jeden jeder jedes jetzt kann kein keine konnen machen man manche mein meine mit muss nach nicht nichts
noch nun nur ob oder ohne sehr sein seine sich sie sind so solche soll sollte sondern sonst uber um und
uns unser unter vom von vor war waren warum was weil welche wenn werde werden wie wieder will wir wird
wo wurde wurden zu zum zur zwar zwischen`,
	"fr": `au aux avec ce ces cette dans de des du elle en et eux il ils je la le les leur leurs lui ma mais
me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu
un une vos votre vous est sont etait ete etre avoir ont fait cet ceci cela ici tres plus aussi comme dont
entre sans sous vers chez selon lors ainsi donc car si tout tous toute toutes`,
	"nl": `aan al als bij dan dat de deze die dit doch door een en er had heb hebben heeft hem het hier hij
hoe hun ik in is je kan kon maar me meer men met mij mijn na naar niet nog nu of om omdat ons onze ook op
over te tot u uit van veel voor want was wat we wel werd wie wij wordt worden zal ze zei zij zich zijn zo
zonder zou`,
	"es": `al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante el
ella ellas ellos en entre era es esa ese eso esta estaba estan este esto estos fue ha hay la las le les lo
los mas me mi muy nada ni no nos nosotros o os otra otro para pero poco por porque que quien se sea ser si
sin sobre son su sus tambien tanto te tiene todo todos tu un una uno unos y ya`,
	"it": `a ad al alla alle allo agli ai anche come con cui che chi da dal dalla dalle dei del della delle
dello di e ed gli ha hanno il in io la le lei lo loro lui ma mi ne nel nella nelle noi non o per perche piu
quale quando quella quelle quello questa queste questo se sei si sia siamo sono su sua sue suo suoi sul
sulla tra tu un una uno vi voi`,
	"pt": `a ao aos as com como da das de do dos e ela elas ele eles em entre era essa esse esta este eu foi
ha isso isto ja lhe mais mas me mesmo meu minha muito na nao nas nem no nos o os ou para pela pelo por
quando que quem se sem ser seu sua suas seus so tambem te tem um uma voce`,
	"sv": `alla att av blev bli blir da dem den denna deras dess det detta dig din dina ditt du efter ej eller
en er ett fran for har hade han hans har henne hennes hon honom hur i icke ingen inom inte jag ju kan kunde
man med mellan men mig min mina mitt mot mycket ni nagon nar nu och om oss pa samma sedan sig sin sina
sitta sjalv skulle som sa till under upp ut utan vad var vara varit vart vi vid`,
	"da": `af alle andet andre at blev blive bliver da de dem den denne der deres det dette dig din disse dog
du efter eller en end er et for fra ham han hans har havde have hende hendes her hos hun hvad hvis hvor i
ikke ind jeg jer kan kunne man mange med meget men mig min mine mit mod ned noget nogle nu og ogsa om op os
over pa selv sig sin sine sit skal skulle som sadan thi til ud under var vi vil ville vor`,
}

// languageOrder breaks ties in language detection: earlier wins.
var languageOrder = []string{"en", "de", "fr", "nl", "es", "it", "pt", "sv", "da"}

// stopLangs maps a folded stop word to the languages it is a stop word in.
var stopLangs = func() map[string][]string {
	m := map[string][]string{}
	for _, lang := range languageOrder {
		for _, w := range strings.Fields(stopWordLists[lang]) {
			m[w] = append(m[w], lang)
		}
	}
	return m
}()

// descriptionFiller are words rule authors use to talk about documents in
// general; they say nothing about which kind of document is meant.
var descriptionFiller = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`document documents file files usually often typically generally
	sometimes mostly mainly contains contain containing include includes including like such e g eg i e ie etc
	type types kind kinds sort any some one two three several many various showing shows show describing
	describes describe with without written write writes given gives listing lists list usual common
	commonly normal normally typical thing things something anything whatever certain either else also
	may might can could would should will which that have has having get gets used use uses using based
	usually often page pages text`) {
		m[w] = true
	}
	return m
}()
