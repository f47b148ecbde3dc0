/**
 * @SpamBot's answers to /start as accounts receive them, in English and Russian: free, limited until a date, limited
 * for good, and a text we do not know. Shared by the unit test of the classifier and the loopback DC's dialog.
 */
export const SPAMBOT_REPLIES = {
  en: {
    free: "Good news, no limits are currently applied to your account. You’re free as a bird!",
    limitedUntil:
      "Unfortunately, some phone numbers may trigger a harsh response from our anti-spam systems. If you think " +
      "this is the case with you, you can submit a complaint to our moderators.\n\n" +
      "Your account is now limited until 5 Feb 2027, 12:36 UTC.",
    limitedForGood:
      "Dear Sarvar, I’m very sorry that you had to contact me. Unfortunately, some account actions can trigger a " +
      "harsh response from our anti-spam systems. If you think this is the case with you, you can submit a " +
      "complaint to our moderators.\n\nWhile the account is limited, you will not be able to send messages to " +
      "people who do not have your number in their phone contacts or add them to groups and channels.",
    unknown: "Hello! Choose one of the options below to continue.",
  },
  ru: {
    free: "Хорошие новости: на Ваш аккаунт не наложено никаких ограничений. Вы свободны как птица!",
    limitedUntil:
      "К сожалению, некоторые номера телефонов могут вызывать жёсткую реакцию наших антиспам-систем. Если Вы " +
      "считаете, что это Ваш случай, можете отправить жалобу нашим модераторам.\n\n" +
      "Ваш аккаунт ограничен до 5 февр. 2027, 12:36 UTC.",
    limitedForGood:
      "Уважаемый Сарвар, мне очень жаль, что Вам пришлось обратиться ко мне. К сожалению, некоторые действия " +
      "могут вызывать жёсткую реакцию наших антиспам-систем.\n\nПока действуют ограничения, Вы не сможете писать " +
      "тем, кто не сохранил Ваш номер в список контактов, а также добавлять таких пользователей в группы и каналы.",
    unknown: "Здравствуйте! Выберите один из вариантов ниже.",
  },
} as const;

/** The end of the limitation both `limitedUntil` texts name. */
export const LIMITED_UNTIL_ISO = "2027-02-05T12:36:00.000Z";
