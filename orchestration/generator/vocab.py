"""Word lists of the demo world: French names, places, the club, its shop and its mail."""

from __future__ import annotations


def words(spec: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(w.strip() for w in spec.split(sep))


# Canonical spellings use the typographic apostrophe (’), as the club's systems store them.
MALE_FIRST_NAMES = words(
    "Jean-Pierre Jean-Marc Jean Pierre Michel Philippe Alain Nicolas Julien Thomas Lucas "
    "Hugo Léo Louis Gabriel Raphaël Arthur Noé Mathéo Théo Maxime Antoine Alexandre "
    "François Jérôme Cédric Sébastien Stéphane Frédéric Loïc Yannick Mickaël Rémi Benoît "
    "Gaël Noël Joël Hervé Anthony Kévin Mohamed Karim Mamadou Moussa Yacine Enzo Nathan "
    "Paul Timothée Jean-Baptiste Pierre-Louis Marc-Antoine Killian Bastien Clément "
    "Guillaume Olivier Éric Étienne Grégoire Didier Thierry Patrice Laurent Christophe "
    "David Romain Adrien Florian Samuel Jordan Adam Ibrahim Ousmane Aurélien Jérémy"
)
FEMALE_FIRST_NAMES = words(
    "Marie Marie-Thérèse Anne-Sophie Marie-Claire Hélène Sophie Camille Léa Chloé Zoé "
    "Anaïs Gaëlle Inès Maëlle Océane Élodie Émilie Céline Nathalie Isabelle Sandrine "
    "Valérie Véronique Stéphanie Aurélie Mélanie Amélie Manon Emma Jade Louise Alice Lina "
    "Rose Anna Mila Juliette Lucie Clémence Laëtitia Béatrice Geneviève Françoise Brigitte "
    "Chantal Christelle Fatoumata Aïcha Yasmine Salomé Margaux Pauline Justine Noémie "
    "Agnès Josiane Danièle Jeanne Héloïse Maëva Sarah Laura Julie Audrey Claire Ophélie "
    "Anne-Laure"
)
FIRST_NAMES = MALE_FIRST_NAMES + FEMALE_FIRST_NAMES

# Frequent names first (weights fall with rank); names with ’ and œ are kept frequent
# enough to show up in every export.
LAST_NAMES = words(
    "Martin|Bernard|N’Diaye|Dubois|Thomas|Robert|Richard|Petit|Durand|Cœur|Leroy|Moreau|"
    "Simon|Laurent|Lefèvre|D’Amico|Michel|Garcia|David|Bertrand|Roux|Vincent|Fournier|"
    "Lebœuf|Morel|Girard|André|Lefebvre|Mercier|Dupont|Lambert|Bonnet|François|Martinez|"
    "Legrand|N’Guessan|Garnier|Faure|Rousseau|Blanc|Guérin|Muller|Henry|Roussel|Nicolas|"
    "Perrin|Morin|Mathieu|Clément|Gauthier|Dumont|Lopez|Fontaine|Chevalier|Robin|Masson|"
    "Sanchez|Gérard|Nguyen|Boyer|Denis|Lemaire|Duval|Joly|Gautier|Roger|Roche|Roy|Noël|"
    "Meyer|Lucas|Meunier|Perez|Marchand|Dufour|Blanchard|Barbier|Brun|Dumas|Brunet|Schmitt|"
    "Leroux|Colin|Fernandez|Renard|Arnaud|Rolland|Caron|Aubert|Giraud|Leclerc|Vidal|"
    "Bourgeois|Renaud|Lemoine|Picard|Gaillard|Leclercq|Lacroix|Fabre|Dupuis|Olivier|"
    "Rodriguez|Da Silva|Hubert|Charles|Guillot|Rivière|Le Gall|Guillaume|Adam|Rey|Moulin|"
    "Gonzalez|Berger|Lecomte|Ménard|Fleury|Deschamps|Carpentier|Julien|Benoît|Maillard|"
    "Marchal|Aubry|Vasseur|Le Roux|Renault|Jacquet|Collet|Prévost|Poirier|Charpentier|"
    "Royer|Huet|Baron|Dupuy|Pons|Carré|Breton|Rémy|Schneider|Perrot|Guyot|Barré|Marty|"
    "Cousin|D’Almeida|Le Goff|De Oliveira|Diallo|Traoré|Benali|Haddad|Kouassi|Ferreira|"
    "Pereira|Lemaître|Bénard|Thébault|Hébert|Lévêque|Saint-Martin|Delacroix-Dupré|Le Bihan|"
    "Besançon|Faÿ",
    sep="|",
)

# (postal code, city, weight): around the club, with many codes starting with 0.
FRENCH_PLACES = (
    ("69001", "Lyon", 6),
    ("69003", "Lyon", 6),
    ("69007", "Lyon", 5),
    ("69100", "Villeurbanne", 6),
    ("69300", "Caluire-et-Cuire", 3),
    ("69500", "Bron", 3),
    ("69120", "Vaulx-en-Velin", 3),
    ("69400", "Villefranche-sur-Saône", 3),
    ("01000", "Bourg-en-Bresse", 5),
    ("01100", "Oyonnax", 2),
    ("01500", "Ambérieu-en-Bugey", 2),
    ("01200", "Valserhône", 1),
    ("06000", "Nice", 2),
    ("07000", "Privas", 2),
    ("07100", "Annonay", 2),
    ("03000", "Moulins", 1),
    ("38000", "Grenoble", 4),
    ("38200", "Vienne", 3),
    ("42000", "Saint-Étienne", 4),
    ("73000", "Chambéry", 2),
    ("74000", "Annecy", 2),
    ("75008", "Paris", 2),
    ("75011", "Paris", 2),
    ("75015", "Paris", 2),
    ("13001", "Marseille", 1),
    ("33000", "Bordeaux", 1),
    ("31000", "Toulouse", 1),
    ("44000", "Nantes", 1),
    ("59000", "Lille", 1),
    ("67000", "Strasbourg", 1),
    ("21000", "Dijon", 1),
    ("26000", "Valence", 2),
    ("02100", "Saint-Quentin", 1),
    ("08000", "Charleville-Mézières", 1),
    ("05000", "Gap", 1),
    ("04000", "Digne-les-Bains", 1),
    ("09000", "Foix", 1),
    ("63000", "Clermont-Ferrand", 2),
    ("71000", "Mâcon", 2),
)
# Fans abroad: (country code, phone prefix, digits after it, mobile lead, places, country name)
FOREIGN = {
    "GB": ("44", 10, "7", (("SW1A 1AA", "London"), ("M1 1AE", "Manchester")), "Royaume-Uni"),
    "CH": ("41", 9, "7", (("1201", "Genève"), ("1003", "Lausanne")), "Suisse"),
    "BE": ("32", 9, "4", (("1000", "Bruxelles"), ("4000", "Liège")), "Belgique"),
}
FOREIGN_WEIGHTS = {"GB": 4, "CH": 3, "BE": 3}
COUNTRY_NAMES = {"FR": "France"} | {code: spec[4] for code, spec in FOREIGN.items()}

STREETS = (
    "rue de la République",
    "avenue Jean-Jaurès",
    "rue Victor-Hugo",
    "boulevard Gambetta",
    "rue de l’Église",
    "rue du Sacré-Cœur",
    "place de la Mairie",
    "chemin des Œillets",
    "rue Pasteur",
    "allée des Tilleuls",
    "rue d’Alsace",
    "impasse du Moulin",
    "rue Émile-Zola",
    "cours Lafayette",
    "quai Saint-Vincent",
    "rue des Écoles",
    "rue du Général-de-Gaulle",
    "montée de la Grande-Côte",
    "rue Mercière",
    "avenue des Frères-Lumière",
)
ADDRESS_LINE_2 = ("Bât. B", "Appt 12", "Résidence Les Œillets", "3e étage", "Escalier C")

PERSONAL_DOMAINS = {
    "gmail.com": 35,
    "orange.fr": 15,
    "hotmail.fr": 10,
    "yahoo.fr": 7,
    "free.fr": 8,
    "sfr.fr": 4,
    "laposte.net": 5,
    "outlook.fr": 6,
    "wanadoo.fr": 4,
    "icloud.com": 4,
}
WORK_DOMAINS = (
    "airbus.com",
    "sncf.fr",
    "edf.fr",
    "michelin.com",
    "orange.com",
    "bnpparibas.com",
    "capgemini.com",
    "renault.com",
    "ac-lyon.fr",
    "chu-lyon.fr",
    "laposte.fr",
    "decathlon.com",
    "saint-gobain.com",
    "sanofi.com",
    "boiron.fr",
    "seb.fr",
)
ALIAS_TAGS = ("club", "foot", "billets", "boutique", "gsfc")

CLUB = "Grandstand FC"
HOME_VENUE = ("Stade de la Colline", 25_000)
# 19 league opponents: (club, stadium, capacity, big match -> higher prices)
OPPONENTS = (
    ("Paris SG", "Parc des Princes", 47_929, True),
    ("Olympique de Marseille", "Orange Vélodrome", 67_394, True),
    ("AS Saint-Étienne", "Stade Geoffroy-Guichard", 41_965, True),
    ("OGC Nice", "Allianz Riviera", 36_178, False),
    ("RC Lens", "Stade Bollaert-Delelis", 38_223, False),
    ("LOSC Lille", "Stade Pierre-Mauroy", 50_186, False),
    ("Stade Rennais", "Roazhon Park", 29_778, False),
    ("FC Nantes", "Stade de la Beaujoire", 35_322, False),
    ("RC Strasbourg", "Stade de la Meinau", 26_109, False),
    ("Montpellier HSC", "Stade de la Mosson", 32_900, False),
    ("Stade de Reims", "Stade Auguste-Delaune", 21_029, False),
    ("Toulouse FC", "Stadium de Toulouse", 33_150, False),
    ("FC Lorient", "Stade du Moustoir", 18_890, False),
    ("Stade Brestois", "Stade Francis-Le Blé", 15_220, False),
    ("AJ Auxerre", "Stade de l’Abbé-Deschamps", 18_541, False),
    ("Le Havre AC", "Stade Océane", 25_178, False),
    ("Angers SCO", "Stade Raymond-Kopa", 19_350, False),
    ("FC Metz", "Stade Saint-Symphorien", 30_000, False),
    ("Olympique Lyonnais", "Groupama Stadium", 59_186, True),
)
COMPETITION = "Ligue 1"

# Ticket prices in euros by section and price category (single home match).
SECTIONS = {"Tribune Nord": 30, "Tribune Sud": 30, "Tribune Est": 20, "Tribune Ouest": 20}
SINGLE_PRICES = {
    "Tribune Nord": {"plein": 18.0, "reduit": 12.0, "enfant": 8.0},
    "Tribune Sud": {"plein": 18.0, "reduit": 12.0, "enfant": 8.0},
    "Tribune Est": {"plein": 32.5, "reduit": 24.0, "enfant": 12.0},
    "Tribune Ouest": {"plein": 38.5, "reduit": 28.5, "enfant": 15.0},
    "Parcage visiteurs": {"plein": 15.0, "reduit": 10.0, "enfant": 5.0},
}
SEASON_PASS_PRICES = {  # (abonne, enfant)
    "Tribune Nord": (240.0, 120.0),
    "Tribune Sud": (240.0, 120.0),
    "Tribune Est": (390.0, 190.0),
    "Tribune Ouest": (450.0, 220.0),
}
HOSPITALITY = {"Salon Présidentiel": 250.0, "Loges": 180.0}
GATES = {
    "Tribune Nord": "N",
    "Tribune Sud": "S",
    "Tribune Est": "E",
    "Tribune Ouest": "O",
    "Salon Présidentiel": "VIP",
    "Loges": "VIP",
}

# Shop catalogue: (sku, name, price in euros, requires shipping, weight, on sale from).
# {cur}/{prev} are the current and previous season ("2026-2027"), {c}/{p} their short
# form ("2627"); "cur" products are sold from 1 July of the current season only.
PRODUCTS = (
    ("MAI-DOM-{c}", "Maillot Domicile {cur}", 90.00, True, 10, "cur"),
    ("MAI-EXT-{c}", "Maillot Extérieur {cur}", 90.00, True, 6, "cur"),
    ("MAI-ENF-{c}", "Maillot Enfant {cur}", 65.00, True, 5, "cur"),
    ("MAI-DOM-{p}", "Maillot Domicile {prev}", 85.00, True, 8, ""),
    ("MAI-EXT-{p}", "Maillot Extérieur {prev}", 85.00, True, 4, ""),
    ("ECH-CLUB", "Écharpe du Club", 20.00, True, 12, ""),
    ("BON-HIV", "Bonnet d’hiver", 18.50, True, 6, ""),
    ("SWE-CAP", "Sweat à capuche", 59.90, True, 5, ""),
    ("CAS-LOGO", "Casquette logo", 24.90, True, 6, ""),
    ("MUG-STAD", "Mug Stade de la Colline", 12.00, True, 7, ""),
    ("BAL-OFF", "Ballon officiel", 29.99, True, 4, ""),
    ("POR-CLE", "Porte-clés", 5.90, True, 8, ""),
    ("FAN-DRAP", "Drapeau supporter", 15.00, True, 4, ""),
    ("CHA-ENF", "Chaussettes enfant", 9.90, True, 3, ""),
    ("GOU-INOX", "Gourde inox", 19.90, True, 3, ""),
    ("PEL-MASC", "Peluche mascotte Cœurdelion", 22.00, True, 3, ""),
    ("CAR-CAD50", "Carte cadeau 50 €", 50.00, False, 2, ""),
)
CLEARANCE_PRICE = 59.99  # last season's jerseys once the new ones are out
SHIPPING = {"Colissimo": (5.90, 60), "Chronopost": (9.90, 15), "Retrait en boutique": (0.0, 25)}
INTERNATIONAL_SHIPPING = ("International", 12.00)
FREE_SHIPPING_FROM = 60.00
DISCOUNT_CODES = {"ABONNE10": 0.10, "NOEL15": 0.15, "BIENVENUE5": 0.05}

MAIL_LISTS = ("Newsletter", "Billetterie", "Boutique", "Abonnés")
SURVEY_COMMENTS = (
    "Super ambiance, merci !",
    "Trop d’attente aux portes ; il faut ouvrir plus tôt.",
    'Le "fan zone" était top',
    "Livraison rapide, maillot conforme.",
    "Billetterie en ligne compliquée",
    "Prix des buvettes trop élevés",
    "Très bon accueil au guichet",
    "Appli qui plante au moment du scan",
)
