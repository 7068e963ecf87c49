"""English given-name nickname table: which short forms stand for which formal names.

The table is data, written by hand: each formal name lists its common nicknames and
diminutives. A nickname that serves several formal names (``Al``, ``Chris``, ``Sam``...)
belongs to every one of them; :func:`same_person_name` treats two first names as equivalent
when they share any formal name, and :func:`canonical_first` picks one formal name (the first
in table order) so blocking keys agree for the common case.
"""

from __future__ import annotations

from functools import lru_cache

# formal name -> nicknames. Lower-case ASCII; keep rows short and alphabetical by formal name.
_TABLE: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "abbie", "gail"),
    "abraham": ("abe", "bram"),
    "adam": ("ad",),
    "adrian": ("adi",),
    "agnes": ("aggie", "nessa"),
    "albert": ("al", "bert", "bertie"),
    "alexander": ("alex", "alec", "alexis", "sandy", "xander", "lex", "al"),
    "alexandra": ("alex", "alexa", "sandra", "sandy", "lexi", "alexis"),
    "alfred": ("al", "alf", "alfie", "fred", "freddie"),
    "alice": ("allie", "ally", "alicia"),
    "allison": ("allie", "ally", "alli"),
    "amanda": ("mandy", "manda"),
    "andrew": ("andy", "drew", "andre"),
    "angela": ("angie", "angel"),
    "anthony": ("tony", "ant"),
    "antonio": ("tony", "toni"),
    "arnold": ("arnie",),
    "arthur": ("art", "artie"),
    "barbara": ("barb", "barbie", "babs"),
    "benjamin": ("ben", "benny", "benji"),
    "bernard": ("bernie", "bern"),
    "beverly": ("bev",),
    "bradley": ("brad",),
    "brian": ("bri",),
    "bridget": ("biddy", "bridie"),
    "calvin": ("cal",),
    "cameron": ("cam",),
    "carol": ("carrie", "caroline", "carole"),
    "catherine": ("cathy", "cat", "kate", "katie", "kathy", "cate", "cathie", "katherine"),
    "charles": ("charlie", "chuck", "chas", "chaz", "chip", "carl"),
    "charlotte": ("charlie", "lottie", "lotte"),
    "christina": ("chris", "tina", "chrissy", "christine", "kristina", "kristin"),
    "christopher": ("chris", "kit", "topher", "kris"),
    "clifford": ("cliff",),
    "cynthia": ("cindy", "cyndi"),
    "daniel": ("dan", "danny"),
    "danielle": ("dani", "elle"),
    "david": ("dave", "davy", "davey"),
    "deborah": ("debbie", "deb", "debra", "debby"),
    "dennis": ("denny",),
    "dominic": ("dom", "nick"),
    "donald": ("don", "donnie", "donny"),
    "dorothy": ("dot", "dottie", "dolly", "dora"),
    "douglas": ("doug",),
    "edward": ("ed", "eddie", "eddy", "ted", "teddy", "ned", "ward"),
    "edwin": ("ed", "eddie", "win"),
    "eleanor": ("ellie", "nell", "nora", "elle", "lena"),
    "elizabeth": (
        "liz",
        "lizzie",
        "beth",
        "betty",
        "bess",
        "betsy",
        "eliza",
        "lisa",
        "libby",
        "liza",
        "elisabeth",
        "ellie",
        "bettie",
    ),
    "emily": ("em", "emmy", "millie"),
    "eugene": ("gene",),
    "frances": ("fran", "frannie", "francie"),
    "francis": ("frank", "fran", "frankie"),
    "frederick": ("fred", "freddie", "freddy", "fritz", "rick"),
    "gabriel": ("gabe",),
    "gabrielle": ("gabby", "gabi", "elle"),
    "gerald": ("gerry", "jerry"),
    "geoffrey": ("geoff", "jeff"),
    "gregory": ("greg",),
    "harold": ("harry", "hal"),
    "harriet": ("hattie",),
    "henry": ("hank", "harry", "hal"),
    "herbert": ("herb", "bert"),
    "isaac": ("ike", "zac"),
    "isabella": ("bella", "izzy", "isabel", "belle"),
    "jacob": ("jake", "jay", "coby"),
    "jacqueline": ("jackie", "jacqui"),
    "james": ("jim", "jimmy", "jamie", "jimbo", "jay"),
    "jane": ("janie", "jenny"),
    "janet": ("jan", "jenny", "netty"),
    "jeffrey": ("jeff",),
    "jennifer": ("jen", "jenny", "jenn", "jenni"),
    "jeremy": ("jerry", "jem"),
    "jessica": ("jess", "jessie", "jessi"),
    "joan": ("joanie",),
    "john": ("jack", "johnny", "jon", "jonny", "jock"),
    "jonathan": ("jon", "jonny", "nathan", "john"),
    "joseph": ("joe", "joey", "jo", "jos"),
    "josephine": ("jo", "josie", "jojo"),
    "joshua": ("josh",),
    "judith": ("judy", "judi", "jude"),
    "julia": ("julie", "jules"),
    "justin": ("justy",),
    "katherine": (
        "kathy",
        "kate",
        "katie",
        "kat",
        "kay",
        "kitty",
        "catherine",
        "kathryn",
        "kathleen",
    ),
    "kenneth": ("ken", "kenny"),
    "kimberly": ("kim", "kimmy"),
    "lawrence": ("larry", "laurie", "lance"),
    "leonard": ("leo", "len", "lenny", "leon"),
    "leslie": ("les",),
    "lillian": ("lily", "lil", "lilly"),
    "louis": ("lou", "louie"),
    "louise": ("lou", "lulu"),
    "lucas": ("luke",),
    "madeline": ("maddie", "maddy", "madge"),
    "margaret": (
        "maggie",
        "meg",
        "peggy",
        "marge",
        "margie",
        "greta",
        "peg",
        "megan",
        "daisy",
        "madge",
        "rita",
    ),
    "martha": ("marty", "mattie", "patsy"),
    "martin": ("marty",),
    "mary": ("molly", "polly", "mae", "mamie", "maria", "marie", "mollie"),
    "matthew": ("matt", "matty"),
    "melissa": ("mel", "missy", "lissa"),
    "melvin": ("mel",),
    "michael": ("mike", "mikey", "mick", "mickey", "mitch"),
    "michelle": ("shelly", "michele", "shell"),
    "mitchell": ("mitch",),
    "nancy": ("nan", "ann"),
    "natalie": ("nat", "natty"),
    "nathan": ("nate", "nat"),
    "nathaniel": ("nate", "nat", "nathan", "nathan"),
    "nicholas": ("nick", "nicky", "nico", "nik"),
    "nicole": ("nikki", "nicky", "nic"),
    "oliver": ("ollie", "olly"),
    "olivia": ("liv", "livvy", "ollie"),
    "pamela": ("pam", "pammy"),
    "patricia": ("pat", "patty", "patsy", "trish", "tricia", "trisha"),
    "patrick": ("pat", "paddy", "patty", "rick"),
    "peter": ("pete", "petey"),
    "philip": ("phil", "pip", "phillip"),
    "rachel": ("rach", "shelly"),
    "raymond": ("ray",),
    "rebecca": ("becky", "becca", "beck"),
    "richard": ("rick", "ricky", "rich", "richie", "dick", "rico"),
    "robert": ("bob", "bobby", "rob", "robbie", "bert", "robby", "bobbie"),
    "roberta": ("bobbie", "robbie", "bertie"),
    "ronald": ("ron", "ronnie", "ronny"),
    "rosemary": ("rose", "rosie", "romy"),
    "russell": ("russ", "rusty"),
    "samantha": ("sam", "sammy", "sammie"),
    "samuel": ("sam", "sammy", "sammie"),
    "sandra": ("sandy", "sandi"),
    "sarah": ("sally", "sadie", "sara"),
    "stanley": ("stan",),
    "stephanie": ("steph", "stephie", "stevie"),
    "stephen": ("steve", "stevie", "steven", "steph"),
    "stuart": ("stu",),
    "susan": ("sue", "susie", "suzy", "suzanne", "susanne"),
    "sylvester": ("sly", "syl"),
    "terence": ("terry", "terrance"),
    "theodore": ("ted", "teddy", "theo"),
    "thomas": ("tom", "tommy", "thom"),
    "timothy": ("tim", "timmy"),
    "valerie": ("val",),
    "veronica": ("ronnie", "vera", "nica"),
    "victor": ("vic",),
    "victoria": ("vicky", "vickie", "tori", "vic"),
    "vincent": ("vince", "vinny", "vinnie"),
    "virginia": ("ginny", "ginger", "virgie"),
    "walter": ("walt", "wally"),
    "wesley": ("wes",),
    "william": ("bill", "billy", "will", "willy", "liam", "willie", "wills"),
    "florence": ("flo", "flossie"),
    "gertrude": ("gertie", "trudy"),
    "jerome": ("jerry",),
    "lorraine": ("lori", "rainey"),
    "maxwell": ("max",),
    "maximilian": ("max", "maxi"),
    "norman": ("norm",),
    "randolph": ("randy", "dolph"),
    "solomon": ("sol",),
    "tabitha": ("tabby",),
    "zachary": ("zach", "zack", "zac", "zak"),
}


def _build() -> dict[str, tuple[str, ...]]:
    """Map every name (formal or nickname) to the formal names it can stand for."""
    groups: dict[str, list[str]] = {}
    for formal, nicks in _TABLE.items():
        groups.setdefault(formal, [])
        if formal not in groups[formal]:
            groups[formal].insert(0, formal)
        for nick in nicks:
            bucket = groups.setdefault(nick, [])
            if formal not in bucket:
                bucket.append(formal)
    return {name: tuple(formals) for name, formals in groups.items()}


_GROUPS = _build()


def formal_names(name: str) -> tuple[str, ...]:
    """Return the formal names ``name`` can stand for (itself when it is formal or unknown)."""
    return _GROUPS.get(name, (name,))


@lru_cache(maxsize=65536)
def canonical_first(name: str) -> str:
    """Return one canonical formal name for a (lower-case) first name.

    ``bob`` and ``robert`` both give ``robert``; an unknown name is returned unchanged.
    """
    return formal_names(name)[0]


def same_person_name(a: str, b: str) -> bool:
    """Tell whether two lower-case first names can name the same person (Bob and Robert)."""
    if a == b:
        return True
    ga, gb = _GROUPS.get(a), _GROUPS.get(b)
    if ga is None or gb is None:
        return False  # a name missing from the table is only ever itself
    return any(name in gb for name in ga)


def table_size() -> int:
    """Return how many formal names the table knows (for docs and tests)."""
    return len(_TABLE)
