/**
 * Published AEAD test vectors in RFC 4106 / RFC 7634 form: `key` is the key material (cipher key ‖ 4-byte salt),
 * `iv` the 8-byte per-packet IV, so the 96-bit nonce is salt ‖ IV. Shared by the encryption transform's tests and
 * the EVP context's.
 */

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B test cases, used the RFC 4106 way: the
// spec's 96-bit IV split into the 4-byte salt (appended to the key material) and the 8-byte per-packet IV.
const K128 = 'feffe9928665731c6d6a8f9467308308';
const K192 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c';
const K256 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
const P64 =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
  '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const P60 = P64.slice(0, 120);
const A20 = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';
export const gcmCases = [
  {
    name: 'test case 2',
    keyBits: 128,
    key: `${'00'.repeat(16)}00000000`,
    iv: '0000000000000000',
    aad: '',
    plain: '00'.repeat(16),
    sealed: '0388dace60b6a392f328c2b971b2fe78' + 'ab6e47d42cec13bdf53a67b21257bddf',
  },
  {
    name: 'test case 3',
    keyBits: 128,
    key: `${K128}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: '',
    plain: P64,
    sealed:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' +
      '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985' +
      '4d5c2af327cd64a62cf35abd2ba6fab4',
  },
  {
    name: 'test case 4',
    keyBits: 128,
    key: `${K128}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: A20,
    plain: P60,
    sealed:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' +
      '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' +
      '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    name: 'test case 9',
    keyBits: 192,
    key: `${K192}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: '',
    plain: P64,
    sealed:
      '3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c' +
      '7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256' +
      '9924a7c8587336bfb118024db8674a14',
  },
  {
    name: 'test case 14',
    keyBits: 256,
    key: `${'00'.repeat(32)}00000000`,
    iv: '0000000000000000',
    aad: '',
    plain: '00'.repeat(16),
    sealed: 'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    name: 'test case 15',
    keyBits: 256,
    key: `${K256}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: '',
    plain: P64,
    sealed:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad' +
      'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'test case 16',
    keyBits: 256,
    key: `${K256}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: A20,
    plain: P60,
    sealed:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];

const KEY_80_9F = '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f';
export const chachaCases = [
  {
    // RFC 8439 §2.8.2: nonce 07000000 || 4041424344454647, i.e. salt 07000000 and IV 4041424344454647.
    name: 'RFC 8439 §2.8.2',
    key: `${KEY_80_9F}07000000`,
    iv: '4041424344454647',
    aad: '50515253c0c1c2c3c4c5c6c7',
    plain: Buffer.from(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      'latin1',
    ).toString('hex'),
    sealed:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6' +
      '3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
      '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
      '3ff4def08e4b7a9de576d26586cec64b6116' +
      '1ae10b594f09e26a7e902ecbd0600691',
  },
  {
    // RFC 7634 Appendix A: ESP example (AAD = SPI || sequence number).
    name: 'RFC 7634 Appendix A (ESP)',
    key: `${KEY_80_9F}a0a1a2a3`,
    iv: '1011121314151617',
    aad: '0102030400000005',
    plain:
      '45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10' +
      '000736270809' +
      '0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637' +
      '01020204',
    sealed:
      '24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6' +
      '14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3' +
      'cbec163fac469b502773f6fb94e664da9165b82829f641e0' +
      '76aaa8266b7fb0f7b11b369907e1ad43',
  },
  {
    // RFC 7634 Appendix B: IKEv2 example (AAD = IKE header || Encrypted payload header).
    name: 'RFC 7634 Appendix B (IKEv2)',
    key: `${KEY_80_9F}a0a1a2a3`,
    iv: '1011121314151617',
    aad: 'c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7' + '2e202500000000090000004529000029',
    plain: '0000000c000040010000000a00',
    sealed: '610394701f8d017f7c12924889' + '6b71bfe25236efd7cdc67066906315b2',
  },
];
