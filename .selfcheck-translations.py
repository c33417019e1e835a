"""Every msgid the self-check (issue 7) added, with its German and French text, so that the
translations can be reapplied after a merge: `python .selfcheck-translations.py` fills empty
msgstrs in locales/{de,fr}/LC_MESSAGES/messages.po (run `make i18n` first, then
`make i18n-compile`)."""

T = {
    "18 to 25": ("18 bis 25", "18 à 25 ans"),
    "26 to 64": ("26 bis 64", "26 à 64 ans"),
    "65 to 79": ("65 bis 79", "65 à 79 ans"),
    "80 or older": ("80 oder älter", "80 ans ou plus"),
    "Under 18": ("Unter 18", "Moins de 18 ans"),
    "A short self-check on your phone: a few questions, then offers near you. Anonymous and free.": (
        "Ein kurzer Selbst-Check auf dem Handy: ein paar Fragen, dann Angebote in Ihrer Nähe. Anonym und gratis.",
        "Un court auto-test sur votre téléphone : quelques questions, puis des offres près de chez vous. Anonyme et gratuit.",
    ),
    "Answer a few short questions about your life at home. At the end you see offers near you that can help.": (
        "Beantworten Sie ein paar kurze Fragen zu Ihrem Leben zu Hause. Am Schluss sehen Sie Angebote in Ihrer Nähe, die helfen können.",
        "Répondez à quelques questions courtes sur votre vie à la maison. À la fin, vous voyez des offres près de chez vous qui peuvent vous aider.",
    ),
    "Any time": ("Egal wann", "N’importe quand"),
    "Ask them": ("Bitte nachfragen", "Renseignez-vous auprès d’eux"),
    "At most 40 characters.": ("Höchstens 40 Zeichen.", "40 caractères au maximum."),
    "At what time?": ("Zu welcher Tageszeit?", "À quel moment de la journée ?"),
    "Back": ("Zurück", "Retour"),
    "Back to the start": ("Zurück zum Anfang", "Retour au début"),
    "Back to my result": ("Zurück zu meinem Ergebnis", "Retour à mon résultat"),
    "Change my answers": ("Meine Antworten ändern", "Modifier mes réponses"),
    "Choose a language.": ("Wählen Sie eine Sprache.", "Choisissez une langue."),
    "Choose a time.": ("Wählen Sie eine Tageszeit.", "Choisissez un moment."),
    "Choose among the offers shown.": ("Wählen Sie unter den gezeigten Angeboten.", "Choisissez parmi les offres affichées."),
    "Choose who should call you.": ("Wählen Sie, wer Sie anrufen soll.", "Choisissez qui doit vous appeler."),
    "Company: you often feel alone.": ("Gesellschaft: Sie fühlen sich oft allein.", "Compagnie : vous vous sentez souvent seul·e."),
    "Enter your first name or your initials.": ("Geben Sie Ihren Vornamen oder Ihre Initialen ein.", "Indiquez votre prénom ou vos initiales."),
    "Enter your phone number.": ("Geben Sie Ihre Telefonnummer ein.", "Indiquez votre numéro de téléphone."),
    "Food: you do not always have enough to eat.": ("Essen: Sie haben nicht immer genug zu essen.", "Nourriture : vous n’avez pas toujours assez à manger."),
    "For example 079 123 45 67": ("Zum Beispiel 079 123 45 67", "Par exemple 079 123 45 67"),
    "Free": ("Gratis", "Gratuit"),
    "Monday": ("Montag", "Lundi"),
    "Tuesday": ("Dienstag", "Mardi"),
    "Wednesday": ("Mittwoch", "Mercredi"),
    "Thursday": ("Donnerstag", "Jeudi"),
    "Friday": ("Freitag", "Vendredi"),
    "Getting around: it is hard for you to get to the doctor or the shops.": (
        "Unterwegs sein: Es ist schwer für Sie, zum Arzt oder zum Einkaufen zu kommen.",
        "Se déplacer : c’est difficile pour vous d’aller chez le médecin ou faire les courses.",
    ),
    "Help at home: you need more help with everyday things.": (
        "Hilfe zu Hause: Sie brauchen mehr Hilfe im Alltag.",
        "Aide à la maison : vous avez besoin de plus d’aide au quotidien.",
    ),
    "How are you? Find help near you.": ("Wie geht es Ihnen? Finden Sie Hilfe in Ihrer Nähe.", "Comment allez-vous ? Trouvez de l’aide près de chez vous."),
    "I agree that my first name or initials, my phone number, my municipality and the areas where I need support are sent to the organisations I chose, so that they can call me. My answers to the questions are not sent.": (
        "Ich bin einverstanden, dass mein Vorname oder meine Initialen, meine Telefonnummer, meine Gemeinde und die Bereiche, in denen ich Unterstützung brauche, an die gewählten Organisationen gehen, damit sie mich anrufen können. Meine Antworten auf die Fragen werden nicht gesendet.",
        "J’accepte que mon prénom ou mes initiales, mon numéro de téléphone, ma commune et les domaines où j’ai besoin de soutien soient transmis aux organisations choisies, pour qu’elles puissent m’appeler. Mes réponses aux questions ne sont pas transmises.",
    ),
    "If it is urgent, do not wait: call the offers on your result page yourself, or 143 (someone to talk to, day and night).": (
        "Wenn es dringend ist, warten Sie nicht: Rufen Sie die Angebote auf Ihrer Ergebnisseite selbst an, oder die 143 (jemand hört zu, Tag und Nacht).",
        "Si c’est urgent, n’attendez pas : appelez vous-même les offres de votre résultat, ou le 143 (quelqu’un vous écoute, jour et nuit).",
    ),
    "In an emergency call 144 (ambulance), 117 (police) or 143 (someone to talk to, day and night).": (
        "Im Notfall: 144 (Sanität), 117 (Polizei) oder 143 (jemand hört zu, Tag und Nacht).",
        "En cas d’urgence : 144 (ambulance), 117 (police) ou 143 (quelqu’un vous écoute, jour et nuit).",
    ),
    "In the afternoon": ("Am Nachmittag", "L’après-midi"),
    "In the morning": ("Am Vormittag", "Le matin"),
    "It is anonymous: we store nothing about you, unless you ask us to call you back. It takes about 5 minutes.": (
        "Es ist anonym: Wir speichern nichts über Sie, ausser Sie möchten zurückgerufen werden. Es dauert etwa 5 Minuten.",
        "C’est anonyme : nous n’enregistrons rien sur vous, sauf si vous demandez qu’on vous rappelle. Cela prend environ 5 minutes.",
    ),
    "Language for the call": ("Sprache für den Anruf", "Langue de l’appel"),
    "Language: someone can help you understand, for example at the doctor.": (
        "Sprache: Jemand kann Ihnen beim Verstehen helfen, zum Beispiel beim Arzt.",
        "Langue : quelqu’un peut vous aider à comprendre, par exemple chez le médecin.",
    ),
    "Letters and forms: someone can help you with them.": ("Briefe und Formulare: Jemand kann Ihnen dabei helfen.", "Lettres et formulaires : quelqu’un peut vous aider."),
    "Money: your money is not enough, or you have bills you cannot pay.": (
        "Geld: Ihr Geld reicht nicht, oder Sie haben Rechnungen, die Sie nicht bezahlen können.",
        "Argent : votre argent ne suffit pas, ou vous avez des factures que vous ne pouvez pas payer.",
    ),
    "No area was flagged. If something still worries you, you can always ask for advice.": (
        "Es wurde kein Bereich markiert. Wenn Sie trotzdem etwas beschäftigt, können Sie sich jederzeit beraten lassen.",
        "Aucun domaine n’a été signalé. Si quelque chose vous préoccupe quand même, vous pouvez toujours demander conseil.",
    ),
    "Offers for %(place)s.": ("Angebote für %(place)s.", "Offres pour %(place)s."),
    "Offers near you": ("Angebote in Ihrer Nähe", "Offres près de chez vous"),
    "Phone and internet: someone can show you how it works.": ("Telefon und Internet: Jemand kann Ihnen zeigen, wie es geht.", "Téléphone et internet : quelqu’un peut vous montrer comment ça marche."),
    "Please call me back": ("Bitte rufen Sie mich zurück", "Rappelez-moi, s’il vous plaît"),
    "Please tick the box if you agree. Without it, nobody can call you.": (
        "Bitte kreuzen Sie das Feld an, wenn Sie einverstanden sind. Sonst kann Sie niemand anrufen.",
        "Cochez la case si vous êtes d’accord. Sinon, personne ne peut vous appeler.",
    ),
    "Postal code or municipality": ("Postleitzahl oder Gemeinde", "Numéro postal ou commune"),
    "Poster": ("Plakat", "Affiche"),
    "Print": ("Drucken", "Imprimer"),
    "Print or save as PDF": ("Drucken oder als PDF speichern", "Imprimer ou enregistrer en PDF"),
    "QR code": ("QR-Code", "Code QR"),
    "Question %(number)s of %(total)s": ("Frage %(number)s von %(total)s", "Question %(number)s sur %(total)s"),
    "Safety: someone hurts you or makes you afraid. You are not alone.": (
        "Sicherheit: Jemand tut Ihnen weh oder macht Ihnen Angst. Sie sind nicht allein.",
        "Sécurité : quelqu’un vous fait du mal ou vous fait peur. Vous n’êtes pas seul·e.",
    ),
    "Scan the code with your phone camera, or type:": ("Scannen Sie den Code mit der Handykamera, oder tippen Sie:", "Scannez le code avec l’appareil photo de votre téléphone, ou tapez :"),
    "Show my result": ("Mein Ergebnis zeigen", "Voir mon résultat"),
    "Show offers": ("Angebote zeigen", "Voir les offres"),
    "Skip this question": ("Frage überspringen", "Passer cette question"),
    "So that we can show you offers near you. You can leave it empty.": (
        "Damit wir Ihnen Angebote in Ihrer Nähe zeigen können. Sie können das Feld leer lassen.",
        "Pour vous montrer des offres près de chez vous. Vous pouvez laisser ce champ vide.",
    ),
    "Someone will call you, usually within two working days.": ("Jemand ruft Sie an, meistens innerhalb von zwei Arbeitstagen.", "Quelqu’un vous appellera, en général dans les deux jours ouvrables."),
    "Start again": ("Neu beginnen", "Recommencer"),
    "Support could help in these areas:": ("In diesen Bereichen könnte Unterstützung helfen:", "Un soutien pourrait vous aider dans ces domaines :"),
    "Thank you": ("Danke", "Merci"),
    "Thank you. Your request has been sent.": ("Danke. Ihre Anfrage wurde gesendet.", "Merci. Votre demande a été envoyée."),
    "The coordination office of my district": ("Die Koordinationsstelle meines Bezirks", "Le service de coordination de mon arrondissement"),
    "The person who helps you is very tired. They can get support too.": (
        "Die Person, die Ihnen hilft, ist sehr müde. Auch sie kann Unterstützung bekommen.",
        "La personne qui vous aide est très fatiguée. Elle aussi peut recevoir du soutien.",
    ),
    "These organisations will call you:": ("Diese Organisationen rufen Sie an:", "Ces organisations vous appelleront :"),
    "They will call you on %(phone)s, usually within two working days, at the time you chose if they can.": (
        "Sie rufen Sie unter %(phone)s an, meistens innerhalb von zwei Arbeitstagen, wenn möglich zur gewählten Zeit.",
        "Elles vous appelleront au %(phone)s, en général dans les deux jours ouvrables, si possible au moment choisi.",
    ),
    "This is not a phone number we can call. Example: 079 123 45 67.": (
        "Diese Telefonnummer können wir nicht anrufen. Beispiel: 079 123 45 67.",
        "Nous ne pouvons pas appeler ce numéro. Exemple : 079 123 45 67.",
    ),
    "This is optional. Only if you send this form do we keep your name and phone number, and only to pass them on.": (
        "Das ist freiwillig. Nur wenn Sie dieses Formular senden, behalten wir Ihren Namen und Ihre Telefonnummer, und nur, um sie weiterzugeben.",
        "C’est facultatif. Nous gardons votre nom et votre numéro seulement si vous envoyez ce formulaire, et uniquement pour les transmettre.",
    ),
    "Too many callback requests from this connection. Please try again in %(minutes)s minutes.": (
        "Zu viele Rückruf-Anfragen von dieser Verbindung. Bitte versuchen Sie es in %(minutes)s Minuten wieder.",
        "Trop de demandes de rappel depuis cette connexion. Réessayez dans %(minutes)s minutes.",
    ),
    "We do not know this place in the canton of Bern. Try the postal code.": (
        "Diesen Ort im Kanton Bern kennen wir nicht. Versuchen Sie es mit der Postleitzahl.",
        "Nous ne connaissons pas ce lieu dans le canton de Berne. Essayez avec le numéro postal.",
    ),
    "We know no offer for this in your municipality and language yet. The coordination office can help you further.": (
        "Wir kennen dafür noch kein Angebot in Ihrer Gemeinde und Sprache. Die Koordinationsstelle hilft Ihnen weiter.",
        "Nous ne connaissons pas encore d’offre pour cela dans votre commune et votre langue. Le service de coordination peut vous aider.",
    ),
    "Where do you live?": ("Wo wohnen Sie?", "Où habitez-vous ?"),
    "Which days suit you?": ("Welche Tage passen Ihnen?", "Quels jours vous conviennent ?"),
    "Who should call you?": ("Wer soll Sie anrufen?", "Qui doit vous appeler ?"),
    "Work: you have worries about your job or about finding work.": (
        "Arbeit: Sie machen sich Sorgen um Ihre Stelle oder um die Stellensuche.",
        "Travail : vous avez des soucis pour votre emploi ou pour trouver du travail.",
    ),
    "Would you like someone to call you?": ("Möchten Sie, dass jemand Sie anruft?", "Souhaitez-vous qu’on vous rappelle ?"),
    "You are offline. To see offers near you, connect to the internet and press “Show my result” again. Your answers stay on this page.": (
        "Sie sind offline. Um Angebote in Ihrer Nähe zu sehen, verbinden Sie sich mit dem Internet und drücken Sie nochmals «Mein Ergebnis zeigen». Ihre Antworten bleiben auf dieser Seite.",
        "Vous êtes hors ligne. Pour voir les offres près de chez vous, connectez-vous à internet et appuyez à nouveau sur « Voir mon résultat ». Vos réponses restent sur cette page.",
    ),
    "You may be entitled to supplementary benefits (EL/PC). An advice service can check this with you for free.": (
        "Vielleicht haben Sie Anspruch auf Ergänzungsleistungen (EL). Eine Beratungsstelle kann das gratis mit Ihnen prüfen.",
        "Vous avez peut-être droit à des prestations complémentaires (PC). Un service de conseil peut le vérifier gratuitement avec vous.",
    ),
    "Your first name or initials": ("Ihr Vorname oder Ihre Initialen", "Votre prénom ou vos initiales"),
    "Your home: there are problems with your flat or house, or you may lose it.": (
        "Ihr Zuhause: Es gibt Probleme mit Ihrer Wohnung oder Ihrem Haus, oder Sie könnten es verlieren.",
        "Votre logement : il y a des problèmes avec votre appartement ou votre maison, ou vous risquez de le perdre.",
    ),
    "Your phone number": ("Ihre Telefonnummer", "Votre numéro de téléphone"),
    "Your request was not sent yet. Please check the marked fields.": (
        "Ihre Anfrage ist noch nicht gesendet. Bitte prüfen Sie die markierten Felder.",
        "Votre demande n’est pas encore envoyée. Vérifiez les champs signalés.",
    ),
    "Your result": ("Ihr Ergebnis", "Votre résultat"),
}


def apply() -> None:
    from pathlib import Path

    from babel.messages.pofile import read_po, write_po

    root = Path(__file__).resolve().parent / "locales"
    for index, language in enumerate(("de", "fr")):
        path = root / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if message.id in T and not message.string:
                message.string = T[message.id][index]
                message.flags.discard("fuzzy")
        with path.open("wb") as f:
            write_po(f, catalog, ignore_obsolete=True, width=100)


if __name__ == "__main__":
    apply()
