/** O‘zbekcha (lotin yozuvi): operatorlarning asosiy tili. */
import { esc } from "../html";
import { listFailed, listFrozen, type Texts } from "./en";

export const uz: Texts = {
  statusName: { active: "faol", paused: "to‘xtatilgan", error: "xato", deleted: "o‘chirilgan" },
  menu: {
    title: "<b>Session Keeper</b>",
    summary: (c) =>
      `Sessiyalar: 🟢 ${c.active} faol · ⏸ ${c.paused} to‘xtatilgan · 🔴 ${c.error} xato` +
      ((c.pendingRevocations ?? 0) > 0
        ? ` · ⏳ Telegramdan chiqish kutilmoqda: ${c.pendingRevocations}`
        : "") +
      ((c.restricted ?? 0) > 0 ? ` · 🚫 Telegram cheklagan: ${c.restricted}` : ""),
    sessions: "📋 Sessiyalar",
    addSession: "➕ Sessiya qo‘shish",
    admins: "👥 Adminlar",
    language: "🌐 Til",
    fleet: "📈 Dinamika",
    back: "⬅️ Orqaga",
    mainMenu: "🏠 Bosh menyu",
  },
  stranger: (id) =>
    `Bu bot yopiq. Sizning Telegram ID raqamingiz: <code>${id}</code>. Sizni qo‘shishi uchun uni bot egasiga yuboring.`,
  sessions: {
    overview: (c) =>
      `<b>📋 Sessiyalar</b>\n🟢 faol: ${c.active}\n⏸ to‘xtatilgan: ${c.paused}\n🔴 xato: ${c.error}\n\nRo‘yxatni ko‘rish uchun holatni tanlang.`,
    filter: (s, n) => `${s} (${n})`,
    page: (s, p) =>
      `<b>📋 Sessiyalar: ${s}</b>, ${p}-sahifa\nOxirgi o‘zgarganlar birinchi. Ochish uchun sessiyani tanlang.`,
    empty: (s) => `“${s}” holatidagi sessiyalar yo‘q.`,
    end: "Bu oxirgi sahifa edi.",
    next: "Keyingi ➡️",
    prev: "⬅️ Oldingi",
    pageGone: "Bu ro‘yxat eskirgan; holatni qaytadan tanlang.",
  },
  card: {
    title: "<b>Sessiya</b>",
    phone: "Telefon",
    account: "Telegram akkaunt",
    noAccount: "noma’lum",
    status: "Holat",
    paused: "To‘xtatilgan",
    yes: "ha",
    no: "yo‘q",
    lastError: "Oxirgi xato",
    lastCheck: "Oxirgi tekshiruv",
    never: "hali yo‘q",
    created: "Yaratilgan",
    updated: "Yangilangan",
    pause: "⏸ To‘xtatish",
    resume: "▶️ Davom ettirish",
    delete: "🗑️ O‘chirish",
    check: "🔄 Hozir tekshirish",
    toList: "⬅️ Sessiyalar",
    errorHint:
      "Bu sessiyaga qayta kirish kerak: uni o‘chiring, so‘ng shu telefon bilan ➕ Sessiya qo‘shish tugmasini bosing.",
    frozen: (u, url) =>
      `🧊 <b>Telegram muzlatgan</b>${u ? ` (${u} gacha)` : ""}: sessiya ishlaydi, lekin akkaunt faqat o‘qiy oladi` +
      `${u ? " va muzlatish olib tashlanmasa, shu sanada o‘chiriladi" : ""}. ` +
      `Apellyatsiya: ${url ? esc(url) : "@SpamBot"}. Qayta kirish yordam bermaydi.`,
    expiry: (d, last, on) =>
      `${d} kun ishlatilmasa tugaydi (Telegram sozlamasi); kundalik tekshiruv uni tirik saqlaydi. ` +
      `Oxirgi marta ishlatilgan: ${last}${on ? `; tekshiruvlarsiz ${on} da tugagan bo‘lardi` : ""}.`,
    identity: (d, id) => `Telegramga ko‘rinishi: ${d}${id !== undefined ? ` · API id ${id}` : ""}`,
    proxy: (a) => `Proksi: ${a}`,
    restriction: (state, asked, until, text) =>
      state === "free"
        ? `@SpamBot: ✅ cheklov yo‘q (${asked} tekshirilgan)`
        : state === "limited"
          ? `@SpamBot: ⛔ ${until} gacha cheklangan (${asked} tekshirilgan)`
          : state === "limited-forever"
            ? `@SpamBot: ⛔ muddatsiz cheklangan (${asked} tekshirilgan)`
            : `@SpamBot: ❔ noma’lum javob (${asked} tekshirilgan): <i>${text}</i>`,
  },
  actions: {
    deleteConfirm: (p) =>
      `<b>${p}</b> sessiyasi o‘chirilsinmi?\nAvval uning kaliti Telegramda chiqariladi, so‘ng sessiya satri bu ` +
      "yerda yo‘q qilinadi; bu telefonni qayta ishlatish uchun yangidan kirasiz.",
    deleteYes: "🗑️ Ha, o‘chirish",
    deleteNo: "Bekor qilish",
    deleting: (p) => `🗑️ ${p} Telegramdan chiqarilmoqda…`,
    deletedLoggedOut: (p) => `🗑️ ${p} sessiyasi Telegramdan chiqarildi va yo‘q qilindi.`,
    deletedAlreadyDead: (p, code) =>
      `🗑️ ${p} sessiyasi yo‘q qilindi. Telegram uning kalitini allaqachon rad etgan (${code}), chiqarishga hech narsa qolmagan.`,
    deletedPending: (p, until, reason) =>
      `🗑️ ${p} sessiyasi bu yerda o‘chirildi, lekin Telegramga ulanib bo‘lmadi (${reason}): uning kaliti u yerda ` +
      `hali ishlashi mumkin. Tozalash chiqishni ${until} gacha qayta urinadi; faqat shu uchun shifrlangan satr shungacha saqlanadi.`,
    busy: (u) =>
      `⏳ Bu sessiyani hozir boshqa vazifa ishlatmoqda (${u} gacha). Hech narsa o‘zgarmadi; bir daqiqadan so‘ng qayta urinib ko‘ring.`,
    paused: "⏸ To‘xtatildi: endi tekshirilmaydi va ishlatilmaydi.",
    resumed: "▶️ Davom ettirildi: sessiya yana faol.",
    notAllowed: "Sessiyaning hozirgi holatida buni qilib bo‘lmaydi; mana uning kartasi.",
  },
  restrictions: {
    button: "🔎 Cheklovlar",
    asking: (p) => `🔎 ${p} dan @SpamBot so‘ralmoqda (/start yuboriladi)…`,
    ownersOnly: "@SpamBot’ni faqat egasi so‘ray oladi: bu akkaunt nomidan xabar yuboradi.",
    result: (state) =>
      state === "free"
        ? "🔎 @SpamBot: Telegram bu akkauntni cheklamagan."
        : state === "unknown"
          ? "🔎 @SpamBot javobi tushunilmadi: u quyida o‘zicha saqlandi."
          : "🔎 @SpamBot: Telegram bu akkauntni cheklagan.",
    failed: (m) => `⚠️ @SpamBot’ni so‘rab bo‘lmadi: ${m}`,
  },
  devices: {
    button: "📱 Qurilmalar",
    twoFa: (has) =>
      has === undefined
        ? "2FA parol: hali o'qilmagan (keyingi tekshiruv o'qiydi)"
        : has
          ? "2FA parol: ✅ o'rnatilgan"
          : "2FA parol: ⚠️ yo'q (kirish kodini olgan har kim akkauntni oladi; <code>sessions 2fa set</code>)",
    loading: (p) => `📱 ${p} qurilmalarini Telegramdan so'rayapman…`,
    title: (p, n) => `<b>📱 ${p} qurilmalari</b> (${n} ta kirish)`,
    line: (d) =>
      `${d.ours ? "⭐ <b>shu sessiya</b>" : "•"} ${d.device} · ${d.app}${d.officialApp ? "" : " ⚠️ rasmiy ilova emas"}` +
      `${d.passwordPending ? " · ⏳ 2FA parolni kutmoqda" : ""}\n   ${d.place || "joyi noma'lum"} · ` +
      `kirgan ${d.created} · oxirgi faollik ${d.lastActive}`,
    more: (n) => `…yana ${n} ta (CLI'da <code>sessions devices</code>).`,
    ttl: (d) => `Telegram ${d} kun ishlatilmagan kirishni tugatadi.`,
    youngKey: (f) =>
      `Bu sessiya kaliti 24 soatdan yosh: Telegram boshqa qurilmalarni ${f} dan tugatishga ruxsat beradi.`,
    ownersHint: "Egasi u yerda bo'lmasligi kerak bo'lgan qurilmani tugata oladi.",
    endButton: (d) => `⛔ Tugatish: ${d}`,
    endOthersButton: "⛔ Boshqa barcha qurilmalarni tugatish",
    confirmOne: (p, d) =>
      `${p} uchun <b>${d}</b> dagi kirish tugatilsinmi?\nU qurilma akkauntdan darhol chiqadi.`,
    confirmOthers: (p) =>
      `${p} ning <b>boshqa barcha kirishlari</b> tugatilsinmi?\nShu sessiyadan boshqa barcha qurilmalar darhol chiqadi.`,
    yes: "⛔ Ha, tugatish",
    no: "Bekor qilish",
    ending: "⛔ Telegramdan so'rayapman…",
    ended: "✅ Tugatildi: qurilma akkauntdan chiqdi.",
    endedOthers: "✅ Tugatildi: boshqa barcha qurilmalar chiqdi.",
    notFound: "Bu kirish allaqachon yo'q. Hech narsa o'zgarmadi.",
    tooFresh: (f) =>
      `⏳ Hali mumkin emas: sessiya kaliti 24 soatdan yosh, Telegram boshqa qurilmalarni ${f} dan tugatishga ruxsat beradi. ` +
      "Hech narsa o'zgarmadi; o'sha vaqtdan keyin qayta bosing.",
    ownersOnly: "Qurilmani faqat egasi tugata oladi.",
    failed: (m) => `⚠️ Telegramga murojaat qilib bo'lmadi: ${m}`,
    toCard: "⬅️ Sessiya",
  },
  stale: {
    changed: "Bu sessiya shu orada o‘zgardi. Mana uning yangi kartasi; tekshirib, qaytadan bosing.",
    gone: "Bu sessiya endi mavjud emas (shu orada o‘chirilgan).",
    unknownButton: "Bu tugma eskirgan. Mana bosh menyu.",
  },
  check: {
    running: (p) => `🔄 ${p} tekshirilmoqda…`,
    healthy: (a) => `✅ Sessiya ishlayapti: ${a} sifatida kirilgan.`,
    failed: (m) => `🔴 Sessiya ishlamaydi va xato deb belgilandi: ${m}\nUni o‘chiring va qayta qo‘shing.`,
    flood: (u) => `⏳ Telegram ${u} gacha kutishni so‘rayapti (flood wait). Sessiya xato deb belgilanmadi.`,
    transient: (m, n) =>
      `⚠️ Sessiyaga ulanib bo‘lmadi (${m}). Ketma-ket ${n} ta muvaffaqiyatsizlik; keyinroq urinib ko‘ring.`,
    frozen: (u, url) =>
      `🧊 Sessiya ishlaydi, lekin Telegram akkauntni muzlatgan${u ? ` (${u} gacha)` : ""}. ` +
      `Apellyatsiya: ${url ? esc(url) : "@SpamBot"}. Sessiya xato deb belgilanmadi.`,
    notConfigured: (d) =>
      `⚙️ Tekshiruvni hali ishga tushirib bo‘lmaydi: ${d} Hech narsa o‘zgarmadi; o‘rnatuvchiga ayting.`,
    skipped: {
      "not-active": "Faqat faol sessiya tekshiriladi. Avval uni davom ettiring.",
      leased: "Bu sessiyadan hozir boshqa jarayon foydalanmoqda. Bir daqiqadan so‘ng urinib ko‘ring.",
      "flood-wait": "Sessiya flood wait holatida; u tugagach tekshiriladi.",
      "not-found": "Bu sessiya endi mavjud emas.",
    },
  },
  add: {
    askPhone:
      "<b>➕ Sessiya qo‘shish</b>\nTelefon raqamini mamlakat kodi bilan yuboring, masalan <code>+998901234567</code>.\nTo‘xtatish: /cancel",
    badPhone:
      "Bu telefon raqami noto‘g‘ri. Uni mamlakat kodi bilan yuboring, masalan <code>+998901234567</code>.",
    starting: (p) => `Telegramdan ${p} raqamiga kirish kodini yuborish so‘ralmoqda…`,
    codeSent: (p, where, len) =>
      `Telegram ${p} raqamiga kirish kodini yubordi ${where}.\n\n` +
      "Kodni quyidagi klaviaturada tering: u chatda ko‘rinmaydi.\n" +
      `Yoki kodni <b>raqamlar orasida bo‘sh joy qoldirib</b> yuboring, masalan <code>${len ? Array.from({ length: len }, (_, i) => String(i + 1)).join(" ") : "1 2 3 4 5"}</code> (chiziqcha bilan emas: Telegram uni ham aniqlaydi).\n` +
      "Nega: kod biror chatga o‘z holicha yuborilsa, Telegram bu kirishni bloklaydi. Xabaringiz o‘qilgach darhol o‘chiriladi.\nTo‘xtatish: /cancel",
    delivery: {
      app: "(Telegram ilovasida, “Telegram” chatida)",
      sms: "(SMS orqali)",
      call: "(qo‘ng‘iroq orqali)",
      "flash-call": "(qisqa qo‘ng‘iroq orqali)",
      email: "(elektron pochta orqali)",
      other: "",
    },
    askPassword: (h) =>
      `Bu akkauntda ikki bosqichli tekshiruv yoqilgan. 2FA parolini yuboring${h ? ` (eslatma: ${h})` : ""}.\nXabaringiz o‘qilgach darhol o‘chiriladi. To‘xtatish: /cancel`,
    keypadLine: (d) => `🔢 Kod: ${d}`,
    keypad: (p, d) =>
      `🔢 ${p} uchun kirish kodi: ${d}\nRaqamlarni bosing; ⌫ oxirgisini o‘chiradi, ✅ kodni yuboradi.`,
    keypadIncomplete: (n) => `Avval ${n} ta raqamning hammasini kiriting.`,
    keypadRetry: "Juda tez bosildi; yana bosing.",
    keypadSent: (p, d) => `🔢 ${p} uchun kirish kodi: ${d}\nTelegram orqali tekshirilmoqda…`,
    keypadStale: "Bu klaviatura endi kerak emas: kirish 2FA parolini kutmoqda.",
    wrongCode: (n) =>
      `❌ Kod noto‘g‘ri. Yana ${n} ta urinish qoldi. Kodni klaviaturada qayta tering yoki raqamlar orasida bo‘sh joy bilan yuboring.`,
    wrongPassword: (n, h) => `❌ Parol noto‘g‘ri${h ? ` (eslatma: ${h})` : ""}. Yana ${n} ta urinish qoldi.`,
    codeExpired:
      "⌛ Kodning muddati tugadi (yoki u chatga bo‘sh joysiz yuborildi). Yangi kod uchun ➕ Sessiya qo‘shish tugmasini bosing.",
    noFlow:
      "Bu kirish jarayoni endi davom etmayapti. Qaytadan boshlash uchun ➕ Sessiya qo‘shish tugmasini bosing.",
    tooManyAttempts:
      "Noto‘g‘ri urinishlar juda ko‘p: kirish to‘xtatildi. ➕ Sessiya qo‘shish bilan qaytadan boshlang.",
    invalidPhone: "Telegram bu telefon raqamini qabul qilmaydi. Tekshirib, qayta yuboring.",
    phoneBanned: "Telegram bu raqamni bloklagan. Uni qo‘shib bo‘lmaydi.",
    noAccount: "Bu raqamda Telegram akkaunti yo‘q. Avval uni Telegram ilovasida ro‘yxatdan o‘tkazing.",
    floodWait: (m) => `Telegram bu raqam bilan qayta urinishdan oldin ${m} daqiqa kutishni so‘rayapti.`,
    apiCredentialsInvalid:
      "Telegram API_ID/API_HASH ni rad etdi. Tizimni o‘rnatgan kishi ularni tuzatishi kerak (my.telegram.org); hech narsa o‘zgarmadi.",
    unavailable: (m) => `⚠️ Bajarilmadi: ${m}`,
    loggedIn: (r) => (r ? "✅ Kirildi: eski sessiya almashtirildi." : "✅ Kirildi: sessiya faol."),
    previousKeyLoggedOut: "🔐 Oldingi kalit Telegramdan chiqarildi.",
    previousKeyAlreadyDead: (code) =>
      `🔐 Telegram oldingi kalitni allaqachon rad etgan (${code}): chiqarishga hech narsa qolmagan.`,
    previousKeyPending: (until, reason) =>
      `⚠️ Oldingi kalitni Telegramdan chiqarib bo‘lmadi (${reason}): u yerda hali ishlashi mumkin. Tozalash ` +
      `chiqishni ${until} gacha qayta urinadi; faqat shu uchun uning shifrlangan satri shungacha saqlanadi.`,
    cancelled: "Bekor qilindi. Hech narsa saqlanmadi.",
    cancelledLate:
      "Bu kirish bekor qilingan, shuning uchun xabaringiz o‘qilmasdan o‘chirildi. Qaytadan boshlash uchun ➕ Sessiya qo‘shish tugmasini bosing.",
    nothingToCancel: "Bekor qiladigan narsa yo‘q.",
    expired:
      "⌛ ➕ Sessiya qo‘shish jarayoni javobsiz qolgani uchun muddati tugadi. Tayyor bo‘lganingizda qaytadan boshlang.",
    replacesExisting: "Bu telefonda sessiya bor; yangi kirish muvaffaqiyatli bo‘lsagina u almashtiriladi.",
    cancelButton: "✖️ Bekor qilish",
    adminLabel: (id, name) => (name ? `${name} (id ${id})` : `admin ${id}`),
    cliLabel: (user) => `CLI (${user})`,
    heldByOther: (p, who, until, canTakeOver) =>
      `⛔ ${p} raqamiga kirish allaqachon davom etmoqda: uni ${who} boshlagan, ${until} gacha. Hech narsa yuborilmadi.\n` +
      (canTakeOver
        ? "Tugashini kuting yoki uni o‘zingizga oling: ularning kirishi tugaydi, Telegram yangi kod yuboradi."
        : "Tugashini kuting yoki undan (yoki egadan) bekor qilishni so‘rang."),
    takeOverButton: "⚠️ O‘zimga olish",
    takeOverConfirm: (p, who, until) =>
      `${p} raqamiga kirishni o‘zingizga olasizmi? Uni ${who} boshlagan, ${until} gacha davom etadi.\n` +
      "Ularning kirishi hozir tugaydi (kodi ishlamay qoladi), Telegram telefonga yangi kod yuboradi.",
    takeOverYes: "✅ Ha, o‘zimga olaman",
    takeOverOwnersOnly: "Boshqa adminning kirishini faqat ega o‘ziga olishi mumkin.",
    takeOverGone: (p) =>
      `${p} raqamiga boshqa kirish allaqachon tugadi. O‘zingiznikini boshlash uchun raqamni qayta yuboring.`,
    notYours: (p, who, until) =>
      `⛔ ${p} raqamiga kirish endi sizniki emas: uni ${who} o‘ziga oldi (${until} gacha). Yuborganingiz ishlatilmadi.`,
    takenOver: (p, who) =>
      `ℹ️ ${who} ${p} raqamiga kirishni o‘ziga oldi. Sizning kirishingiz tugadi, hech narsa saqlanmadi. Uning kodlari endi kerak emas.`,
  },
  admins: {
    title: "<b>👥 Adminlar</b>",
    owner: "ega",
    admin: "admin",
    you: "siz",
    add: "➕ Admin qo‘shish",
    askId:
      "Yangi adminning Telegram ID raqamini yuboring (botga yozgan begonaga uning ID si aytiladi) yoki undan kelgan xabarni shu yerga yo‘naltiring.\nTo‘xtatish: /cancel",
    badId: "Bu Telegram ID emas (123456789 kabi raqam). Qayta yuboring yoki /cancel.",
    added: (id) => `✅ ${id} endi admin.`,
    already: (id) => `${id} allaqachon admin.`,
    removeButton: (id) => `🗑️ ${id}`,
    removeConfirm: (id) => `${id} adminlikdan olib tashlansinmi? U endi bu botdan foydalana olmaydi.`,
    removeYes: "Ha, olib tashlash",
    removed: (id) => `${id} adminlikdan olib tashlandi.`,
    lastOwner: "Bu oxirgi ega, uni olib tashlab bo‘lmaydi. Avval boshqa adminni ega qiling.",
    ownersOnly: "Adminlarni faqat ega qo‘shishi yoki olib tashlashi mumkin.",
    notAdmin: (id) => `${id} admin emas (shu orada olib tashlangan).`,
  },
  miniapp: {
    formButton: "🔐 Xavfsiz formada kiritish",
    title: "Session Keeper: kirish",
    forPhone: (p) => `${p} raqamiga kirilmoqda`,
    forQr: "QR kodni skanerlagan akkauntga kirilmoqda",
    codeLabel: (n) => (n ? `Kirish kodi (${n} ta raqam)` : "Kirish kodi"),
    passwordLabel: (h) => `Ikki bosqichli tekshiruv paroli${h ? ` (eslatma: ${h})` : ""}`,
    submit: "Kirish",
    checking: "Telegram bilan tekshirilmoqda…",
    network: "Server bilan aloqa yo‘q. Tarmoqni tekshiring va yana “Kirish”ni bosing.",
    retry: "Biz tomonda nimadir ishlamadi; hech narsa yo‘qolmadi. Bir daqiqadan so‘ng tugmani yana bosing.",
    close: "Yopish",
    wrongCode: (n) => `❌ Kod noto‘g‘ri. ${n} ta urinish qoldi.`,
    wrongPassword: (n, h) => `❌ Parol noto‘g‘ri${h ? ` (eslatma: ${h})` : ""}. ${n} ta urinish qoldi.`,
    passwordNeeded: "Kod qabul qilindi. Bu akkauntda ikki bosqichli tekshiruv bor: parolini kiriting.",
    loggedIn: (r) =>
      `✅ Kirildi${r ? ": eski sessiya almashtirildi" : ""}. Sessiya kartasi chatda; bu forma yopiladi.`,
    openFromBot: "Bu forma faqat Telegramdagi bot tugmasidan ochilganda ishlaydi. Uni chatdan oching.",
    reopen: "Bu forma ancha oldin ochilgan. Uni yoping va chatdan qayta oching.",
    notAdmin: "Siz bu botning administratori emassiz.",
    noLogin: "Sizning birorta kirishingiz kod yoki parol kutmayapti. ➕ Sessiya qo‘shish bilan boshlang.",
  },
  qr: {
    button: "📷 QR kod bilan kirish (tavsiya etiladi)",
    starting: "QR kod tayyorlanmoqda…",
    caption: (s, until, renewed) =>
      `${renewed ? "Oldingi kod skanerlanmasdan eskirdi; mana yangisi.\n\n" : ""}<b>📷 QR kod bilan kirish</b>\n` +
      "Akkaunt turgan telefonda: Telegram → Sozlamalar → Qurilmalar → <b>Kompyuterni ulash</b> (Link Desktop Device), va shu kodni skanerlang. So‘ng “Skanerladim”ni bosing.\n\n" +
      `⏳ ${s} soniya amal qiladi, ${until} gacha. Eskirgan kod tugma bosilganda yangilanadi.\nTo‘xtatish: /cancel`,
    scannedButton: "✅ Skanerladim",
    checking: "Telegramdan so‘ralmoqda…",
    notYet: "Hali skanerlanmagan. Kodni skanerlang, so‘ng tugmani yana bosing.",
    passwordNeeded: (h) =>
      `Skanerlandi. Bu akkauntda ikki bosqichli tekshiruv bor: parolini xavfsiz formada kiriting${h ? ` (eslatma: ${h})` : ""} yoki shu yerga yuboring (xabar o‘qilgach darhol o‘chiriladi). To‘xtatish: /cancel`,
    scannedCaption: "✅ Skanerlandi.",
    loggedInCaption: "✅ Skanerlandi va kirildi.",
    over: "Bu QR kirish tugagan (yakunlangan, bekor qilingan yoki eskirgan). Qayta boshlash uchun ➕ Sessiya qo‘shishni bosing.",
    waitingPassword:
      "Skanerlandi: endi akkauntning 2FA paroli kutilmoqda (xavfsiz forma yoki shu yerga yuboring).",
    otherAccount: (p) =>
      `Kodni skanerlagan akkauntning raqami ${p}, u bu yerda boshqa Telegram akkaunti uchun saqlangan. Hech narsa o‘zgartirilmadi. Raqam egasi o‘zgargan bo‘lsa, avval o‘sha sessiyani o‘chiring, so‘ng qayta skanerlang.`,
  },
  language: { choose: "Tilni tanlang:", set: "Til: o‘zbekcha." },
  notify: {
    sessionsFailed: (failed) =>
      `🔴 <b>Tekshiruv</b>: ${failed.length} ta sessiya ishlamay qoldi va to‘xtatildi:\n` +
      listFailed(failed, (n) => `…va yana ${n} ta`) +
      "\n\n📋 Sessiyalar → 🔴 xato bo‘limini oching, ularni o‘chiring, so‘ng ➕ Sessiya qo‘shish orqali qayta kiring.",
    runCounts: (c) =>
      `Tekshirildi ${c.checked}: 🟢 ${c.healthy} sog‘lom, 🔴 ${c.failed} ishlamayapti, ⏳ ${c.floodWaited} kutishda, ` +
      `⚠️ ${c.transient} vaqtinchalik xato (keyingi safar qayta tekshiriladi)` +
      `${c.frozen > 0 ? `, 🧊 ${c.frozen} ta Telegram tomonidan muzlatilgan` : ""}.`,
    sessionsFrozen: (f) =>
      `🧊 <b>Tekshiruv</b>: Telegram ${f.length} ta akkauntni muzlatdi. Sessiyalar ishlaydi, lekin akkauntlar faqat ` +
      "o‘qiy oladi va egasi apellyatsiya bermasa, ko‘rsatilgan sanada o‘chiriladi:\n" +
      listFrozen(
        f,
        (x) =>
          `• <code>${esc(x.phone)}</code>${x.until ? `: ${x.until} gacha` : ""}; apellyatsiya: ${x.appealUrl ? esc(x.appealUrl) : "@SpamBot"}`,
        (n) => `…va yana ${n} ta`,
      ),
    notChecked: (s) =>
      `⚠️ <b>${s.length} ta sessiyani tekshirib bo‘lmadi</b> (keyingi safar yana tekshiriladi):\n` +
      listFailed(s, (n) => `…va yana ${n} ta`),
    runUnfinished: (n) =>
      `⚠️ <b>Oxirgi tekshiruv tugamadi</b>: ${n} ta tekshiruv yakunlanmadi. Funksiya loglarini va ` +
      "dead-letter navbatini ko‘ring.",
    newLogins: (l) =>
      `🚨 <b>Yangi kirish</b> oxirgi tekshiruvdan beri (akkaunt egallanishi mumkin):\n` +
      l
        .map(
          (x) =>
            `• <code>${x.phone}</code>: ${x.device} da yangi kirish, ${x.app}${x.officialApp ? "" : " (rasmiy ilova emas)"}` +
            `, ${x.place || "noma'lum joy"} dan` +
            (x.endPossibleFrom ? `; ${x.endPossibleFrom} dan tugatish mumkin` : ""),
        )
        .join("\n") +
      "\n\nAgar bu tanish odam bo'lmasa, egasi quyidagi tugmalar (yoki kartadagi 📱 Qurilmalar) bilan tugatadi.",
    withoutTwoFa: (n) => `⚠️ 2FA parolsiz faol sessiyalar: ${n}.`,
    restricted: (n) => `🚫 Telegram cheklagan faol sessiyalar (oxirgi @SpamBot tekshiruvi): ${n}.`,
    pendingLogouts: (n) =>
      `⏳ Telegramdan hali chiqarilmagan o'chirilgan yoki almashtirilgan sessiya kalitlari: ${n}. Haftalik tozalash qayta urinadi ` +
      "(hozir urinish uchun: sessions revoke-pending).",
    endLoginButton: (p, d) => `⛔ ${p}: ${d} ni tugatish`,
    endOthersButton: (p) => `⛔ ${p}: boshqa barchasini tugatish`,
  },
  fleet: {
    drawing: "📈 Grafik chizilmoqda…",
    noRuns:
      "📈 Oxirgi 30 kunda hech bir tekshiruv sessiyalar holatini yozmagan, hozircha chizadigan narsa yo‘q. " +
      "Grafik kunlik tekshiruvdan (yoki <code>sessions check --all</code>) keyin paydo bo‘ladi.",
    caption: (c, last) =>
      `<b>📈 Sessiyalar, oxirgi 30 kun</b>\nHozir: 🟢 ${c.active} faol · ⏸ ${c.paused} to‘xtatilgan · 🔴 ${c.error} xato` +
      (last ? `\nOxirgi tekshiruv ${last.at}: ${last.checked} tekshirildi, ${last.failed} yangi xato` : ""),
    chartTitle: "Sessiyalar, oxirgi 30 kun",
    chartSubtitle: "Har kuni oxirgi tekshiruv tugagandagi holat bo‘yicha sessiyalar (UTC)",
    sessionsAxis: "sessiyalar",
    newlyFailed: "yangi xatolar",
    pageTitle: "Dinamika",
    now: "Hozir",
    lastRun: "Oxirgi tekshiruv",
    lastRunLine: (at, checked, failed) => `${at}: ${checked} tekshirildi, ${failed} yangi xato`,
    openPage: "📊 Sahifani ochish",
    loading: "Yuklanmoqda…",
  },
  commands: {
    start: "Bosh menyu",
    sessions: "Sessiyalar holat bo‘yicha",
    add: "Sessiya qo‘shish (kirish)",
    admins: "Adminlar",
    language: "Til",
    cancel: "Joriy qadamni bekor qilish",
  },
  unknownText: "Tushunmadim. Menyu uchun /start ni bosing.",
  failed:
    "⚠️ Nimadir noto‘g‘ri ketdi, hech narsa o‘zgarmadi. Qayta urinib ko‘ring; takrorlansa, tizimni o‘rnatgan kishiga ayting.",
};
