#!/usr/bin/python3
"""gen-mbox.py - a synthetic mailing-list archive as an mboxrd file.

    bench/gen-mbox.py N OUT.mbox [--seed S] [--list team@example.org]

What it is like (deterministic for a seed):
  - threads: a new thread is started with probability 0.28, else a
    reply goes to a recent thread (recency-weighted), so thread sizes
    follow a long tail (about 3.6 posts on average, a few over 100);
    a reply answers a random earlier post of its thread (In-Reply-To,
    References up to 10 deep) and usually quotes some of it;
  - people: 800 senders whose activity follows a power law, with names
    in English, Czech, German, Greek, Korean and Japanese (RFC 2047
    encoded, or raw UTF-8 as RFC 6532 clients write them);
  - language: each thread has one (English 45 %, Czech 15 %, German
    10 %, Greek 12 %, Korean 12 %, Japanese 6 %); text is drawn from word
    lists of each language (Korean words with their particles glued on,
    Greek with accents, Czech with diacritics);
  - size: bodies are log-normal around 700 bytes (1 % over 10 KB),
    a signature on 40 %, 8 % multipart/alternative with an HTML part,
    2 % with an attachment (a PNG, PDF or text file of 2-60 KB, base64);
  - time: six years, replies minutes to days after what they answer,
    the Date field in the sender's zone.
"""
import argparse
import base64
import email.utils
import math
import random
import sys
import time
from email.header import Header

WORDS = {
    "en": """the a and to of in is it for on that with we you this be are at
have not from or by will can about all meeting picnic saturday sunday
weekend book club garden tea coffee dinner lunch walk park river trip train
bus bike school kids children parents neighbours street party music concert
photos album next week tomorrow today evening morning plan idea question
answer thanks thank please help need bring share food cake bread wine beer
water chairs tables tent rain sun weather forecast cancel postpone maybe
agreed great good nice sorry late early time place address map link minutes
agenda vote poll budget money pay receipt volunteer list member welcome
hello everyone friends family holiday summer winter spring autumn library
story reading chapter author review recipe soup salad dessert kitchen hall
room key door repair fix broken bicycle shop market farm eggs milk cheese
apples pears plums jam honey bees flowers trees seeds soil compost water
hose ladder paint wall fence gate roof window""".split(),
    "cs": """a je se na v že to s z do o k jak ale jsme jsou bude byl byla
schůzka piknik sobota neděle víkend knihovna zahrada čaj káva večeře oběd
procházka park řeka výlet vlak autobus kolo škola děti rodiče sousedé ulice
oslava hudba koncert fotky příští týden zítra dnes večer ráno plán nápad
otázka odpověď díky děkuji prosím pomoc potřebujeme přinést jídlo dort
chléb víno pivo voda židle stoly stan déšť slunce počasí předpověď zrušit
odložit možná souhlas skvělé dobré pěkné promiňte pozdě brzy čas místo
adresa mapa odkaz zápis hlasování rozpočet peníze zaplatit dobrovolník
vítejte ahoj všichni přátelé rodina prázdniny léto zima jaro podzim
příliš žluťoučký kůň úpěl ďábelské ódy houby borůvky chata Pálava
Sněžka Krkonoše Šumava""".split(),
    "de": """der die das und zu den von mit ist nicht ein eine für auf wir
Treffen Picknick Samstag Sonntag Wochenende Buchclub Garten Tee Kaffee
Abendessen Mittagessen Spaziergang Park Fluss Ausflug Zug Bus Fahrrad
Schule Kinder Eltern Nachbarn Straße Fest Musik Konzert Fotos nächste Woche
morgen heute Abend Morgen Plan Idee Frage Antwort danke bitte Hilfe
mitbringen Essen Kuchen Brot Wein Bier Wasser Stühle Tische Zelt Regen
Sonne Wetter absagen verschieben vielleicht einverstanden großartig gut
schön Entschuldigung spät früh Zeit Ort Adresse Karte Protokoll Abstimmung
Geld bezahlen Willkommen Hallo alle Freunde Familie Ferien Sommer Winter
Frühling Herbst Bücherei Grüße übermorgen Brötchen Käse Äpfel""".split(),
    "el": """και το να η ο του της σε με για από που θα είναι δεν
καλημέρα καλησπέρα συνάντηση πικνίκ Σάββατο Κυριακή Σαββατοκύριακο λέσχη
βιβλίου κήπος τσάι καφές δείπνο μεσημεριανό βόλτα πάρκο ποτάμι εκδρομή
τρένο λεωφορείο ποδήλατο σχολείο παιδιά γονείς γείτονες δρόμος γιορτή
μουσική συναυλία φωτογραφίες επόμενη εβδομάδα αύριο σήμερα βράδυ πρωί
σχέδιο ιδέα ερώτηση απάντηση ευχαριστώ παρακαλώ βοήθεια φέρτε φαγητό
γλυκό ψωμί κρασί μπύρα νερό καρέκλες τραπέζια βροχή ήλιος καιρός ακύρωση
ίσως συμφωνώ τέλεια καλό ωραίο συγγνώμη αργά νωρίς ώρα μέρος διεύθυνση
χάρτης πρακτικά ψηφοφορία χρήματα εθελοντής καλωσόρισμα γεια όλοι φίλοι
οικογένεια διακοπές καλοκαίρι χειμώνας άνοιξη φθινόπωρο Παρασκευή
Δευτέρα Τρίτη Τετάρτη Πέμπτη""".split(),
    "ko": """안녕하세요 모임 소풍 토요일 일요일 주말 독서 모임 정원 차 커피
저녁 점심 산책 공원 강 여행 기차 버스 자전거 학교 아이들 부모님 이웃 거리
파티 음악 콘서트 사진 다음 주 내일 오늘 저녁 아침 계획 생각 질문 대답 감사
부탁 도움 음식 케이크 빵 와인 맥주 물 의자 테이블 텐트 비 햇빛 날씨 예보
취소 연기 아마 동의 좋아요 괜찮아요 죄송합니다 늦게 일찍 시간 장소 주소
지도 링크 회의록 투표 예산 돈 자원봉사자 환영합니다 여러분 친구들 가족
휴가 여름 겨울 봄 가을 화요일 수요일 목요일 금요일 월요일 회의 숙제 공부
발표 준비 시작 끝 도서관 책 저자 요리 김치 떡볶이 비빔밥""".split(),
    "ja": """こんにちは 会議 ピクニック 土曜日 日曜日 週末 読書会 庭 お茶
コーヒー 夕食 昼食 散歩 公園 川 旅行 電車 バス 自転車 学校 子供たち 両親
近所 通り パーティー 音楽 コンサート 写真 来週 明日 今日 夕方 朝 計画
考え 質問 答え ありがとう お願いします 手伝い 食べ物 ケーキ パン ワイン
ビール 水 椅子 テーブル 雨 天気 予報 中止 延期 たぶん 賛成 いいですね
すみません 遅く 早く 時間 場所 住所 地図 議事録 投票 予算 お金 ボランティア
ようこそ 皆さん 友達 家族 休み 夏 冬 春 秋 図書館 本 作者 料理""".split(),
}
KO_PARTICLES = ["에", "에서", "은", "는", "이", "가", "을", "를", "도", "와", "과",
                "으로", "에게", "부터", "까지", ""]
JA_PARTICLES = ["は", "が", "を", "に", "で", "と", "も", "の", ""]
LANGS = [("en", 45), ("cs", 15), ("de", 10), ("el", 12), ("ko", 12),
         ("ja", 6)]
FIRST = {
    "en": ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace",
           "Heidi", "Ivan", "Judy", "Mallory", "Oscar", "Peggy", "Trent"],
    "cs": ["Jana", "Petr", "Lucie", "Tomáš", "Kateřina", "Jiří", "Markéta",
           "Ondřej", "Zuzana", "Radek"],
    "de": ["Jürgen", "Anna", "Lukas", "Sophie", "Maximilian", "Jörg"],
    "el": ["Ελένη", "Γιώργος", "Μαρία", "Νίκος", "Κατερίνα", "Δημήτρης"],
    "ko": ["김민지", "이서준", "박지우", "최하은", "정도윤", "강서연"],
    "ja": ["佐藤花子", "鈴木一郎", "高橋美咲", "田中健太"],
}
LAST = {
    "en": ["Smith", "Jones", "Taylor", "Brown", "Walker", "Wright"],
    "cs": ["Novák", "Dvořák", "Černá", "Procházka", "Kučera", "Veselá"],
    "de": ["Müller", "Schmidt", "Schäfer", "Weiß", "Groß"],
    "el": ["Παπαδοπούλου", "Ιωάννου", "Γεωργίου"],
    "ko": [""], "ja": [""],
}


def pick_lang(rng):
    r = rng.uniform(0, 100)
    for lang, w in LANGS:
        if r < w:
            return lang
        r -= w
    return "en"


def sentence(rng, lang):
    n = rng.randint(4, 16)
    words = []
    for _ in range(n):
        w = rng.choice(WORDS[lang])
        if lang == "ko":
            w += rng.choice(KO_PARTICLES)
        elif lang == "ja":
            w += rng.choice(JA_PARTICLES)
        words.append(w)
    if lang == "ja":
        return "".join(words) + "。"
    s = " ".join(words)
    return s[0].upper() + s[1:] + rng.choice([".", ".", ".", "?", "!"])


def paragraph(rng, lang, size):
    out = []
    while sum(len(s.encode()) for s in out) < size:
        out.append(sentence(rng, lang))
    text = " ".join(out)
    # wrap at 72 columns, the way mail clients do
    lines, line = [], ""
    for w in text.split(" "):
        if line and len(line) + 1 + len(w) > 72:
            lines.append(line)
            line = w
        else:
            line = (line + " " + w) if line else w
    lines.append(line)
    return "\n".join(lines)


def body_text(rng, lang):
    size = min(int(rng.lognormvariate(math.log(600), 0.8)), 60000)
    paras = []
    left = size
    while left > 0:
        n = min(left, rng.randint(150, 600))
        paras.append(paragraph(rng, lang, n))
        left -= n
    return "\n\n".join(paras)


class Person:
    def __init__(self, rng, i):
        self.lang = pick_lang(rng)
        first = rng.choice(FIRST[self.lang])
        last = rng.choice(LAST[self.lang])
        self.name = (first + " " + last).strip()
        self.addr = "user%04d@%s" % (i, rng.choice(
            ["example.org", "example.net", "mail.example.com",
             "posta.example.cz", "example.gr", "example.kr", "example.jp"]))
        self.zone = rng.choice([0, 60, 120, 540, -300, -480])
        self.sig = rng.random() < 0.4


def from_header(rng, p):
    if all(ord(c) < 128 for c in p.name):
        return email.utils.formataddr((p.name, p.addr))
    if rng.random() < 0.3:      # a raw UTF-8 header (RFC 6532)
        return '"%s" <%s>' % (p.name, p.addr)
    return "%s <%s>" % (Header(p.name, "utf-8").encode(), p.addr)


def subject_header(s):
    if all(ord(c) < 128 for c in s):
        return s
    return Header(s, "utf-8").encode()


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
    "hKmMIQAAAABJRU5ErkJggg==")


def attachment(rng):
    kind = rng.choice(["png", "pdf", "txt"])
    size = rng.randint(2000, 60000)
    if kind == "png":
        data = PNG + bytes(rng.getrandbits(8) for _ in range(size))
        return "image/png", "photo%d.png" % rng.randint(1, 999), data
    if kind == "pdf":
        data = b"%PDF-1.4\n" + bytes(rng.getrandbits(8) for _ in range(size))
        return "application/pdf", "minutes.pdf", data
    data = ("line of notes\n" * (size // 14)).encode()
    return "text/plain", "notes.txt", data


def wrap64(b):
    s = base64.b64encode(b).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def html_of(text):
    esc = (text.replace("&", "&amp;").replace("<", "&lt;")
           .replace(">", "&gt;"))
    paras = "".join("<p>%s</p>" % p.replace("\n", " ")
                    for p in esc.split("\n\n"))
    return "<html><body>%s</body></html>" % paras


def render(rng, msg, listaddr):
    p = msg["from"]
    zone = p.zone
    sign = "+" if zone >= 0 else "-"
    tz = "%s%02d%02d" % (sign, abs(zone) // 60, abs(zone) % 60)
    date = email.utils.formatdate(msg["t"] + zone * 60, localtime=False)
    date = date.replace("-0000", tz)
    head = [
        "From: " + from_header(rng, p),
        "To: " + listaddr,
        "Subject: " + subject_header(msg["subject"]),
        "Date: " + date,
        "Message-ID: <%s>" % msg["id"],
    ]
    if msg["parent"]:
        head.append("In-Reply-To: <%s>" % msg["parent"])
        head.append("References: " + " ".join("<%s>" % r
                                              for r in msg["refs"][-10:]))
    head.append("MIME-Version: 1.0")
    text = msg["text"]
    r = rng.random()
    if r < 0.02:
        ctype, name, data = attachment(rng)
        b = "==b%d" % rng.getrandbits(40)
        head.append('Content-Type: multipart/mixed; boundary="%s"' % b)
        parts = ("--%s\nContent-Type: text/plain; charset=utf-8\n"
                 "Content-Transfer-Encoding: 8bit\n\n%s\n"
                 "--%s\nContent-Type: %s; name=\"%s\"\n"
                 "Content-Disposition: attachment; filename=\"%s\"\n"
                 "Content-Transfer-Encoding: base64\n\n%s\n--%s--\n"
                 % (b, text, b, ctype, name, name, wrap64(data), b))
        return "\n".join(head) + "\n\n" + parts
    if r < 0.10:
        b = "==a%d" % rng.getrandbits(40)
        head.append('Content-Type: multipart/alternative; boundary="%s"' % b)
        parts = ("--%s\nContent-Type: text/plain; charset=utf-8\n"
                 "Content-Transfer-Encoding: 8bit\n\n%s\n"
                 "--%s\nContent-Type: text/html; charset=utf-8\n"
                 "Content-Transfer-Encoding: 8bit\n\n%s\n--%s--\n"
                 % (b, text, b, html_of(text), b))
        return "\n".join(head) + "\n\n" + parts
    head.append("Content-Type: text/plain; charset=utf-8")
    head.append("Content-Transfer-Encoding: 8bit")
    return "\n".join(head) + "\n\n" + text + "\n"


def mboxrd(raw):
    out = []
    for line in raw.split("\n"):
        k = len(line) - len(line.lstrip(">"))
        if line[k:].startswith("From "):
            line = ">" + line
        out.append(line)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--list", default="team@example.org")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    people = [Person(rng, i) for i in range(800)]
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(people))]
    start = 1590969600          # 2020-06-01
    span = 6 * 365 * 86400
    threads = []                # [lang, subject, [msgs]]
    t = start
    step = span / max(a.n, 1)
    with open(a.out, "w", encoding="utf-8") as f:
        for i in range(a.n):
            t += rng.expovariate(1.0 / step)
            p = rng.choices(people, weights)[0]
            if not threads or rng.random() < 0.28:
                lang = p.lang if rng.random() < 0.7 else pick_lang(rng)
                subject = sentence(rng, lang).rstrip(".?!。")[:70]
                threads.append([lang, subject, []])
                th = threads[-1]
                parent = None
            else:
                k = min(len(threads), 400)
                idx = len(threads) - 1 - int(rng.paretovariate(1.2) - 1) % k
                th = threads[idx]
                parent = rng.choice(th[2][-20:]) if th[2] else None
            lang, subject = th[0], th[1]
            text = body_text(rng, lang)
            refs = []
            if parent:
                refs = parent["refs"] + [parent["id"]]
                if rng.random() < 0.65:
                    quoted = parent["text"].split("\n")[:rng.randint(2, 12)]
                    text = ("%s wrote:\n" % parent["from"].name +
                            "\n".join("> " + q for q in quoted) + "\n\n" +
                            text)
                subject = ("Re: " if rng.random() < 0.8 else "RE: ") + \
                    (("[team] " if rng.random() < 0.3 else "") + th[1])
            if p.sig:
                text += "\n\n-- \n%s\n%s" % (p.name, p.addr)
            msg = {"id": "m%d.%x@%s" % (i, rng.getrandbits(32),
                                         p.addr.split("@")[1]),
                   "from": p, "t": int(t), "subject": subject,
                   "parent": parent["id"] if parent else None,
                   "refs": refs, "text": text}
            if parent and msg["t"] <= parent["t"]:
                msg["t"] = parent["t"] + rng.randint(60, 3 * 86400)
            raw = render(rng, msg, a.list)
            # only the start is quoted later: keep no more in memory
            msg["text"] = text[:800]
            th[2].append(msg)
            del th[2][:-20]
            asc = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(msg["t"]))
            f.write("From %s %s\n" % (p.addr, asc))
            f.write(mboxrd(raw))
            if not raw.endswith("\n"):
                f.write("\n")
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
