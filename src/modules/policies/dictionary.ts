/**
 * A modest built-in list of common passwords and words, lower case, for the "CHECK DICTIONARY
 * WORD" rule. Drawn from widely published lists of the most used (and leaked) passwords and
 * the words they are built from. Not exhaustive by design: it catches the guesses an attacker
 * tries first without shipping megabytes; a password equal to an entry, or containing an entry
 * of 5 or more letters, is refused (shorter entries are too common inside random strings).
 */
export const COMMON_WORDS: readonly string[] = `
password passw0rd passwort motdepasse contrasena secret secrets letmein welcome welcome1 admin
administrator root toor login logon guest default changeme change qwerty qwertz azerty abc123
123456 1234567 12345678 123456789 1234567890 111111 000000 654321 666666 121212 112233 123123
iloveyou monkey dragon master shadow sunshine princess football baseball basketball soccer hockey
superman batman spiderman starwars pokemon trustno1 whatever freedom ninja mustang michael jordan
jennifer hunter ranger buster thomas tigger charlie robert daniel jessica ashley andrew joshua
matthew anthony william amanda nicole summer winter spring autumn monday friday sunday january
february march april august september october november december flower flowers orange banana
cherry apple lemon chocolate cookie pepper ginger butter cheese coffee purple yellow silver golden
diamond jasmine maggie bailey harley cowboy cowboys eagles yankees lakers dallas chicago boston
london paris berlin madrid america canada mexico brazil france germany england ireland scotland
computer internet server database system network service services office manager support
security private public access account accounts backup oracle mysql postgres windows linux ubuntu
debian redhat cisco vmware google microsoft amazon apple samsung nokia dell lenovo intel
company business market money dollar euro credit bank finance payment invoice report reports
project projects development production staging testing tester master1 letmein1 welcome123
hello hello123 helloworld goodbye please thanks thankyou sorry lovely loveme lover love123
family friend friends mother father sister brother daughter children baby babygirl babyboy
angel angels heaven devil killer killers dragon1 monster monsters phoenix thunder lightning
rainbow sunset sunrise ocean island mountain river forest garden nature animal tiger lion
eagle falcon hawk wolf bear horse puppy kitty kitten doggy dolphin turtle rabbit spider
music guitar piano rocket racing runner soccer1 player players gamer gaming matrix hacker
zombie vampire wizard magic mystic legend legends hero heroes knight kingdom castle queen king
prince pirate captain soldier warrior fighter champion winner victory success power energy
freedom1 liberty justice secure secure1 trust trustme believe faith grace glory jesus christ
blessed church angel1 heart hearts sweet sweetie honey sugar candy pretty beauty beautiful
starlight moonlight shine shining bright happy smile smiley funny crazy cool coolguy awesome
amazing perfect special nothing something everything anything forever always never
qazwsx qweasd asdfgh zxcvbn asdf1234 qwer1234 1qaz2wsx zaq12wsx password1 password123
passpass pass1234 abcdef abcd1234 aaaaaa abcabc temp temp123 test123 testing123 demo
sample example student teacher school college university science history english
doctor nurse police officer firefighter engineer pilot driver worker
`
  .split(/\s+/)
  .filter((w) => w.length > 0);
