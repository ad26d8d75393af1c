// The back office's desks (fence editor, face enrolment, accounts) live outside the phone's
// app shell: BKD and admins use them at a desk, online, and no ASN's phone should download
// them over 2G or keep them in its cache. Their stylesheet is added when one is first opened.

export function deskStyles() {
  if (document.querySelector('link[data-desk]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/desk/desk.css';
  link.dataset.desk = '';
  document.head.append(link);
}
